package casework

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ActionType is the diplomatic tool an action used.
type ActionType string

// The action types.
const (
	Statement                ActionType = "statement"
	GoodOffices              ActionType = "good-offices"
	EnvoyDispatch            ActionType = "envoy-dispatch"
	FactFindingMission       ActionType = "fact-finding-mission"
	SecurityCouncilBriefing  ActionType = "security-council-briefing"
	RegionalMediationSupport ActionType = "regional-mediation-support" // support to a regional organisation's mediation
	DialogueFacilitation     ActionType = "dialogue-facilitation"
	ElectoralAssistanceCoord ActionType = "electoral-assistance-coordination"
	OtherAction              ActionType = "other"
)

// ActionTypes lists the action types.
func ActionTypes() []ActionType {
	return []ActionType{Statement, GoodOffices, EnvoyDispatch, FactFindingMission, SecurityCouncilBriefing,
		RegionalMediationSupport, DialogueFacilitation, ElectoralAssistanceCoord, OtherAction}
}

// ParseActionType parses an action type; spaces and underscores may
// stand for hyphens.
func ParseActionType(s string) (ActionType, error) {
	v := ActionType(normalise(s))
	if slices.Contains(ActionTypes(), v) {
		return v, nil
	}
	names := make([]string, 0, 9)
	for _, t := range ActionTypes() {
		names = append(names, string(t))
	}
	return "", fmt.Errorf("%w: unknown action type %q (want %s)", ErrInvalid, s, strings.Join(names, ", "))
}

// Label is the type as a phrase: "envoy dispatch".
func (t ActionType) Label() string { return strings.ReplaceAll(string(t), "-", " ") }

// Action is one use of a diplomatic tool on a case.
type Action struct {
	ID         int64      `json:"id"`
	CaseID     int64      `json:"case_id"`
	Type       ActionType `json:"type"`
	At         time.Time  `json:"date"`     // when it was taken
	Actors     []string   `json:"actors"`   // who acted: names, offices, envoys
	Partners   []string   `json:"partners"` // partner organisations involved
	Alerts     []int64    `json:"alert_ids"`
	Outcome    string     `json:"outcome,omitempty"`
	RecordedBy string     `json:"recorded_by"`
	RecordedAt time.Time  `json:"recorded_at"`
	// Level is the confidentiality of the action's case, as the store
	// read it (for auditing reads); not part of the action.
	Level Confidentiality `json:"-"`
}

// Normalize cleans an action in place and checks it: a known type, a
// date, alert ids that are positive.
func (a *Action) Normalize() error {
	var errs []error
	if t, err := ParseActionType(string(a.Type)); err != nil {
		errs = append(errs, err)
	} else {
		a.Type = t
	}
	if a.At.IsZero() {
		errs = append(errs, fmt.Errorf("%w: an action needs its date", ErrInvalid))
	}
	a.At = a.At.UTC()
	a.Actors = cleanList(a.Actors)
	a.Partners = cleanList(a.Partners)
	a.Outcome = strings.TrimSpace(a.Outcome)
	for _, id := range a.Alerts {
		if id < 1 {
			errs = append(errs, fmt.Errorf("%w: alert id %d", ErrInvalid, id))
		}
	}
	slices.Sort(a.Alerts)
	a.Alerts = slices.Compact(a.Alerts)
	return errors.Join(errs...)
}

func cleanList(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// ActionQuery selects actions of the cases a viewer sees.
type ActionQuery struct {
	CaseID int64 // 0: every case
	Limit  int   // 0 is no limit
}
