package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/rules"
	"threshold/internal/store"
)

// RulesStore keeps the versions of the alert rules file. *store.DB
// implements it.
type RulesStore interface {
	ActiveRules(ctx context.Context) (store.RulesVersion, error)
	RulesHistory(ctx context.Context) ([]store.RulesVersion, error)
	SaveRules(ctx context.Context, body, author string, at time.Time) (store.RulesVersion, error)
}

// The rules say what is watched and how closely: those who read alerts may
// read them; only admins change them.
var rulesEditors = auth.AllowWrite(auth.Admin)

func (a *API) registerRules() {
	handle(a, huma.Operation{
		OperationID: "get-rules",
		Method:      http.MethodGet,
		Path:        Prefix + "/rules",
		Summary:     "The alert rules in force",
		Description: "The rules file in force, as written and parsed: the newest saved version, or Threshold's " +
			"default rules when none was saved (source \"default\").",
		Tags: []string{"rules"},
	}, alertReaders, limits{}, a.getRules)
	handle(a, huma.Operation{
		OperationID: "list-rules-versions",
		Method:      http.MethodGet,
		Path:        Prefix + "/rules/versions",
		Summary:     "Saved versions of the rules",
		Description: "Every saved version of the rules file, newest first, with its author and time.",
		Tags:        []string{"rules"},
	}, alertReaders, limits{}, a.listRulesVersions)
	handle(a, huma.Operation{
		OperationID: "check-rules",
		Method:      http.MethodPost,
		Path:        Prefix + "/rules/check",
		Summary:     "Check a rules file",
		Description: "Validates a rules file (YAML or JSON) without saving it and lists every problem with its " +
			"line, column and field.",
		Tags: []string{"rules"},
	}, auth.AllowWrite(auth.Admin, auth.Analyst), limits{maxBody: maxRulesBytes + 4096}, a.checkRules)
	handle(a, huma.Operation{
		OperationID: "save-rules",
		Method:      http.MethodPut,
		Path:        Prefix + "/rules",
		Summary:     "Save a new version of the rules",
		Description: "Validates the rules file and, when it has no problem, stores it as the newest version, " +
			"in force from the next evaluation. A file with problems is refused with a 422 listing each with its " +
			"line (errors[].location is \"body.rules:LINE:COLUMN\"). Every save is audited.",
		Tags:   []string{"rules"},
		Errors: []int{http.StatusUnprocessableEntity},
	}, rulesEditors, limits{maxBody: maxRulesBytes + 4096}, a.saveRules)
}

// maxRulesBytes bounds a rules file.
const maxRulesBytes = 1 << 20

// rulesDoc is a rules file as the API shows it.
type rulesDoc struct {
	Source    string       `json:"source" enum:"saved,default" doc:"saved: a version stored by an admin; default: Threshold's built-in rules."`
	ID        int64        `json:"id,omitempty" doc:"The saved version's ID."`
	Version   string       `json:"version" doc:"The file's version field."`
	Author    string       `json:"author,omitempty"`
	CreatedAt time.Time    `json:"created_at,omitzero"`
	Body      string       `json:"body" doc:"The file as written."`
	Rules     []rules.Rule `json:"rules,omitempty" doc:"The parsed rules."`
}

type rulesOutput struct {
	Body rulesDoc
}

func (a *API) getRules(ctx context.Context, _ *struct{}) (*rulesOutput, error) {
	v, err := a.deps.Rules.ActiveRules(ctx)
	if errors.Is(err, store.ErrNotFound) {
		f := rules.Default()
		return &rulesOutput{Body: rulesDoc{Source: "default", Version: f.Version, Body: string(rules.DefaultYAML()), Rules: f.Rules}}, nil
	}
	if err != nil {
		return nil, err
	}
	doc := rulesDoc{Source: "saved", ID: v.ID, Version: v.Version, Author: v.Author, CreatedAt: v.CreatedAt, Body: v.Body}
	if f, err := v.File(); err == nil {
		doc.Rules = f.Rules
	}
	return &rulesOutput{Body: doc}, nil
}

type rulesVersionsOutput struct {
	Body struct {
		Items []store.RulesVersion `json:"items"`
	}
}

func (a *API) listRulesVersions(ctx context.Context, _ *struct{}) (*rulesVersionsOutput, error) {
	vs, err := a.deps.Rules.RulesHistory(ctx)
	if err != nil {
		return nil, err
	}
	out := &rulesVersionsOutput{}
	out.Body.Items = vs
	if out.Body.Items == nil {
		out.Body.Items = []store.RulesVersion{}
	}
	return out, nil
}

type rulesInput struct {
	remoteInput
	Body struct {
		Rules string `json:"rules" minLength:"1" maxLength:"1048576" doc:"The rules file, YAML or JSON."`
	}
}

type checkRulesOutput struct {
	Body struct {
		OK       bool            `json:"ok"`
		Version  string          `json:"version,omitempty"`
		Rules    int             `json:"rules" doc:"How many rules the file declares (0 when it has problems)."`
		Problems []rules.Problem `json:"problems"`
	}
}

func (a *API) checkRules(_ context.Context, in *rulesInput) (*checkRulesOutput, error) {
	out := &checkRulesOutput{}
	out.Body.Problems = []rules.Problem{}
	f, err := rules.Parse("rules", []byte(in.Body.Rules))
	if err != nil {
		var re *rules.Error
		if !errors.As(err, &re) {
			return nil, err
		}
		out.Body.Problems = re.Problems
		return out, nil
	}
	out.Body.OK, out.Body.Version, out.Body.Rules = true, f.Version, len(f.Rules)
	return out, nil
}

func (a *API) saveRules(ctx context.Context, in *rulesInput) (*rulesOutput, error) {
	f, err := rules.Parse("rules", []byte(in.Body.Rules))
	if err != nil {
		var re *rules.Error
		if !errors.As(err, &re) {
			return nil, err
		}
		details := make([]error, 0, len(re.Problems))
		for _, p := range re.Problems {
			msg := p.Msg
			if p.Path != "" {
				msg = p.Path + ": " + msg
			}
			details = append(details, &huma.ErrorDetail{Location: fmt.Sprintf("body.rules:%d:%d", p.Line, p.Column), Message: msg})
		}
		return nil, huma.Error422UnprocessableEntity(fmt.Sprintf("the rules file has %d problem(s); nothing was saved", len(re.Problems)), details...)
	}
	act := in.actor(ctx)
	v, err := a.deps.Rules.SaveRules(ctx, in.Body.Rules, act.Name, a.now())
	if err != nil {
		return nil, err
	}
	if a.deps.Audit != nil {
		e := audit.Entry{ActorID: act.ID, Actor: act.Name, Action: "rules.save", Remote: act.Remote,
			Object: fmt.Sprintf("rules:%d", v.ID), Details: map[string]any{"version": v.Version, "rules": len(f.Rules)}}
		if err := a.deps.Audit.Record(context.WithoutCancel(ctx), e); err != nil {
			return nil, err
		}
	}
	return &rulesOutput{Body: rulesDoc{Source: "saved", ID: v.ID, Version: v.Version, Author: v.Author,
		CreatedAt: v.CreatedAt, Body: v.Body, Rules: f.Rules}}, nil
}
