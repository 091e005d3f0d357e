package report

import (
	"context"
	"fmt"
	"time"

	"threshold/internal/casework"
)

// Service builds reports for a reader and reviews calls; the dashboard
// and the scheduler use it.
type Service struct {
	Source     Source
	Cases      Cases      // nil leaves casework out
	Agreements Agreements // nil leaves agreement milestones out
	Tracker    *Tracker   // keeps drafts and overrides; nil refuses overrides
	Overrides  Overrides  // nil prints the drafts
	Now        func() time.Time
}

// Build builds the report o selects as v may read it: o's Cases,
// Viewer, Agreements, Overrides and Now are the service's.
func (s *Service) Build(ctx context.Context, v casework.Viewer, o Options) (Monthly, error) {
	o.Cases, o.Viewer, o.Agreements, o.Overrides = s.Cases, v, s.Agreements, s.Overrides
	o.Now = s.now()
	return Build(ctx, s.Source, o)
}

// Override records v's call for a country and month in place of the
// draft, drafting it afresh from the data as v sees them.
func (s *Service) Override(ctx context.Context, v casework.Viewer, month time.Time, country string, call Verdict, reason string) error {
	if s.Tracker == nil {
		return fmt.Errorf("report: overrides are not kept here")
	}
	r, err := s.Build(ctx, v, Options{Month: month, Countries: []string{country}})
	if err != nil {
		return err
	}
	who := Actor{Name: v.Name(), ID: v.UserID, Remote: v.Remote}
	_, err = s.Tracker.Override(ctx, who, r, country, call, reason)
	return err
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}
