package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/alert"
	"threshold/internal/auth"
)

func (a *API) registerSilences() {
	handle(a, huma.Operation{
		OperationID: "list-silences",
		Method:      http.MethodGet,
		Path:        Prefix + "/silences",
		Summary:     "List silences",
		Description: "Silences, newest first: the active ones (the default), the expired ones, or all.",
		Tags:        []string{"alerts"},
	}, alertReaders, limits{}, a.listSilences)
	handle(a, huma.Operation{
		OperationID: "create-silence",
		Method:      http.MethodPost,
		Path:        Prefix + "/silences",
		Summary:     "Create a silence",
		Description: "Mutes new alerts that match every given matcher (at least one) from starts_at (default now) " +
			"until ends_at: they are stored and listed, but nobody is notified. Alerts already open are not touched. " +
			"A comment saying why is required.",
		Tags:   []string{"alerts"},
		Errors: []int{http.StatusUnprocessableEntity},
	}, auth.AllowWrite(auth.Admin, auth.Analyst), limits{maxBody: 64 << 10}, a.createSilence)
	handle(a, huma.Operation{
		OperationID: "expire-silence",
		Method:      http.MethodPost,
		Path:        Prefix + "/silences/{id}/expire",
		Summary:     "Expire a silence now",
		Description: "Ends a silence before its ends_at. Expiring a silence that has ended is a 422.",
		Tags:        []string{"alerts"},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, auth.AllowWrite(auth.Admin, auth.Analyst), limits{}, a.expireSilence)
}

type silencesInput struct {
	State string `query:"state" enum:"active,expired,all" default:"active" doc:"Which silences."`
}

type silencesOutput struct {
	Body struct {
		Items []alert.Silence `json:"items"`
	}
}

func (a *API) listSilences(ctx context.Context, in *silencesInput) (*silencesOutput, error) {
	q := alert.SilenceQuery{At: a.now(), Active: in.State == "active", Expired: in.State == "expired"}
	ss, err := a.deps.Alerts.Silences(ctx, q)
	if err != nil {
		return nil, alertProblem(err)
	}
	out := &silencesOutput{}
	out.Body.Items = ss
	return out, nil
}

type createSilenceInput struct {
	remoteInput
	Body struct {
		Matchers alert.Matchers `json:"matchers" doc:"All non-empty matchers must match: rule, country (ISO alpha-3), admin1, severity, labels."`
		StartsAt time.Time      `json:"starts_at,omitzero" required:"false" doc:"Default: now."`
		EndsAt   time.Time      `json:"ends_at" doc:"When the silence expires."`
		Comment  string         `json:"comment" minLength:"1" maxLength:"4000" doc:"Why the alerts may be muted."`
	}
}

type silenceOutput struct {
	Body alert.Silence
}

func (a *API) createSilence(ctx context.Context, in *createSilenceInput) (*silenceOutput, error) {
	s, err := a.deps.Alerts.AddSilence(ctx, in.actor(ctx), alert.Silence{Matchers: in.Body.Matchers,
		StartsAt: in.Body.StartsAt, EndsAt: in.Body.EndsAt, Comment: in.Body.Comment})
	if err != nil {
		return nil, alertProblem(err)
	}
	return &silenceOutput{Body: s}, nil
}

type silenceIDInput struct {
	remoteInput
	ID int64 `path:"id" minimum:"1" doc:"The silence's ID."`
}

func (a *API) expireSilence(ctx context.Context, in *silenceIDInput) (*silenceOutput, error) {
	s, err := a.deps.Alerts.ExpireSilence(ctx, in.actor(ctx), in.ID)
	if err != nil {
		return nil, alertProblem(err)
	}
	return &silenceOutput{Body: s}, nil
}
