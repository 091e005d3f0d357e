package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"threshold/internal/audit"
	"threshold/internal/store"
)

// ErrNoCall: the report has no call for the country named.
var ErrNoCall = errors.New("report: no call for that country in the report")

// TrackerStore keeps drafted calls and overrides (a *store.DB).
type TrackerStore interface {
	SaveTrackerCalls(ctx context.Context, cs []store.TrackerCall) error
	AddTrackerOverride(ctx context.Context, o store.TrackerOverride) (store.TrackerOverride, error)
}

// Recorder appends to the audit log (an *audit.Log).
type Recorder interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Tracker reviews the tracker's calls: it keeps the drafts and records
// analysts' overrides, each in the audit log.
type Tracker struct {
	Store TrackerStore
	Audit Recorder         // nil records nothing
	Now   func() time.Time // nil is time.Now
}

// Actor is who overrides a call.
type Actor struct {
	Name   string // email, or "cli:<OS user>"
	ID     int64  // user id; 0 on the CLI
	Remote string // client address; "" on the CLI
}

// SaveDrafts stores the drafts of r's calls as they stand, so that what
// a report said stays known when the data change.
func (t *Tracker) SaveDrafts(ctx context.Context, r Monthly) error {
	var cs []store.TrackerCall
	for _, c := range r.Countries {
		ev, err := json.Marshal(c.Call.Evidence)
		if err != nil {
			return fmt.Errorf("report: evidence of %s: %w", c.ISO3, err)
		}
		cs = append(cs, store.TrackerCall{Month: r.Month, Country: c.ISO3, Trend: string(c.Call.Draft.Trend),
			RiskAlert: c.Call.Draft.RiskAlert, Opportunity: c.Call.Draft.ResolutionOpportunity, Evidence: ev, DraftedAt: t.now()})
	}
	if len(cs) == 0 {
		return nil
	}
	if err := t.Store.SaveTrackerCalls(ctx, cs); err != nil {
		return fmt.Errorf("report: save drafts: %w", err)
	}
	return nil
}

// Override records an analyst's call for a country of r in place of the
// draft, with a reason (required). The draft is stored beside it, and
// the override is audited as "tracker.override".
func (t *Tracker) Override(ctx context.Context, who Actor, r Monthly, country string, v Verdict, reason string) (store.TrackerOverride, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return store.TrackerOverride{}, errors.New("report: an override needs a reason")
	}
	if _, err := ParseTrend(string(v.Trend)); err != nil {
		return store.TrackerOverride{}, fmt.Errorf("report: override: %w", err)
	}
	var call *Call
	for i := range r.Countries {
		if strings.EqualFold(r.Countries[i].ISO3, country) {
			call = &r.Countries[i].Call
		}
	}
	if call == nil {
		return store.TrackerOverride{}, fmt.Errorf("%w: %s in %s", ErrNoCall, country, r.Month.Format("2006-01"))
	}
	one := r
	one.Countries = nil
	for _, c := range r.Countries {
		if c.ISO3 == call.Country {
			one.Countries = append(one.Countries, c)
		}
	}
	if err := t.SaveDrafts(ctx, one); err != nil {
		return store.TrackerOverride{}, err
	}
	o, err := t.Store.AddTrackerOverride(ctx, store.TrackerOverride{Month: r.Month, Country: call.Country,
		DraftTrend: string(call.Draft.Trend), DraftRisk: call.Draft.RiskAlert, DraftOpportunity: call.Draft.ResolutionOpportunity,
		Trend: string(v.Trend), RiskAlert: v.RiskAlert, Opportunity: v.ResolutionOpportunity,
		Reason: reason, Actor: who.Name, ActorID: who.ID, At: t.now()})
	if err != nil {
		return store.TrackerOverride{}, fmt.Errorf("report: override: %w", err)
	}
	if t.Audit != nil {
		if err := t.Audit.Record(context.WithoutCancel(ctx), audit.Entry{ActorID: who.ID, Actor: who.Name, Action: "tracker.override",
			Object: fmt.Sprintf("tracker:%s:%s", call.Country, r.Month.Format("2006-01")), Remote: who.Remote,
			Details: map[string]any{"override_id": o.ID, "draft": call.Draft, "call": v, "reason": reason}}); err != nil {
			return o, fmt.Errorf("report: audit override: %w", err)
		}
	}
	return o, nil
}

func (t *Tracker) now() time.Time {
	if t.Now == nil {
		return time.Now().UTC()
	}
	return t.Now().UTC()
}
