package alert_test

import (
	"errors"
	"testing"

	"threshold/internal/alert"
	"threshold/internal/geo"
)

func countries(t testing.TB) []string {
	t.Helper()
	g, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range g.Countries() {
		out = append(out, c.ISO3)
	}
	return out
}

// TestNext checks every state against every state-changing action: the
// valid transitions lead where the lifecycle says, all others fail with
// ErrTransition.
func TestNext(t *testing.T) {
	valid := map[alert.State]map[alert.Action]alert.State{
		alert.StateFiring: {
			alert.ActAcknowledge: alert.StateAcknowledged,
			alert.ActAction:      alert.StateActioned,
			alert.ActDismiss:     alert.StateDismissed,
		},
		alert.StateAcknowledged: {
			alert.ActAction:  alert.StateActioned,
			alert.ActDismiss: alert.StateDismissed,
		},
		alert.StateActioned:  {alert.ActResolve: alert.StateResolved},
		alert.StateDismissed: {alert.ActResolve: alert.StateResolved},
		alert.StateResolved:  {},
	}
	acts := []alert.Action{alert.ActAcknowledge, alert.ActAction, alert.ActDismiss, alert.ActResolve,
		alert.ActAssign, alert.ActOpen, alert.ActClear}
	n := 0
	for _, from := range alert.States() {
		for _, act := range acts {
			got, err := alert.Next(from, act)
			want, ok := valid[from][act]
			if ok {
				n++
				if err != nil || got != want {
					t.Errorf("Next(%s, %s) = %q, %v; want %s", from, act, got, err, want)
				}
				continue
			}
			if !errors.Is(err, alert.ErrTransition) || got != "" {
				t.Errorf("Next(%s, %s) = %q, %v; want ErrTransition", from, act, got, err)
			}
		}
	}
	if n != 7 {
		t.Errorf("%d valid transitions checked, want 7", n)
	}
	_, err := alert.Next(alert.StateFiring, alert.ActResolve)
	if want := "invalid alert transition: cannot resolve an alert that is firing (firing → resolved); record a decision first: action or dismiss it"; err == nil || err.Error() != want {
		t.Errorf("Next(firing, resolve) error = %v\nwant %s", err, want)
	}
}

func TestGroupAlerts(t *testing.T) {
	as := []alert.Alert{
		{ID: 5, Group: "CAF", Severity: alert.Info, State: alert.StateFiring},
		{ID: 4, Group: "MLI", Severity: alert.Critical, State: alert.StateResolved},
		{ID: 3, Group: "CAF", Severity: alert.Critical, State: alert.StateResolved},
		{ID: 2, Group: "CAF", Severity: alert.Warning, State: alert.StateAcknowledged},
		{ID: 1, Group: "MLI", Severity: alert.Warning, State: alert.StateResolved},
	}
	gs := alert.GroupAlerts(as)
	if len(gs) != 2 {
		t.Fatalf("%d groups, want 2", len(gs))
	}
	for i, want := range []struct {
		key  string
		sev  alert.Severity
		open int
		ids  []int64
	}{
		{"CAF", alert.Warning, 2, []int64{5, 3, 2}}, // the resolved critical does not count while others are open
		{"MLI", alert.Critical, 0, []int64{4, 1}},
	} {
		g := gs[i]
		var ids []int64
		for _, a := range g.Alerts {
			ids = append(ids, a.ID)
		}
		if g.Key != want.key || g.Severity != want.sev || g.Open != want.open || len(ids) != len(want.ids) {
			t.Errorf("group %d = %s %s open %d %v; want %+v", i, g.Key, g.Severity, g.Open, ids, want)
		}
	}
}

func TestSilenceMatch(t *testing.T) {
	a := alert.Alert{Rule: "coup", Country: "MLI", Admin1: "Kidal", Severity: alert.Critical,
		Labels: map[string]string{"theme": "governance"}}
	tests := []struct {
		m    alert.Matchers
		want bool
	}{
		{alert.Matchers{Country: "MLI"}, true},
		{alert.Matchers{Country: "NER"}, false},
		{alert.Matchers{Rule: "coup", Country: "MLI", Admin1: "Kidal", Severity: alert.Critical}, true},
		{alert.Matchers{Rule: "coup", Severity: alert.Warning}, false},
		{alert.Matchers{Admin1: "Gao"}, false},
		{alert.Matchers{Labels: map[string]string{"theme": "governance"}}, true},
		{alert.Matchers{Labels: map[string]string{"theme": "violence"}}, false},
		{alert.Matchers{Labels: map[string]string{"other": ""}}, false},
		{alert.Matchers{}, true}, // Validate refuses it
	}
	for _, tt := range tests {
		if got := tt.m.Match(a); got != tt.want {
			t.Errorf("%+v.Match = %v, want %v", tt.m, got, tt.want)
		}
	}
}

func TestSilenceValidate(t *testing.T) {
	ok := alert.Silence{Matchers: alert.Matchers{Country: "MLI"}, StartsAt: t0, EndsAt: t0.Add(3600e9),
		CreatedBy: "desk@example.org", Comment: "synthetic: mission on the ground"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid silence: %v", err)
	}
	tests := []struct {
		name string
		edit func(*alert.Silence)
		want string
	}{
		{"no matchers", func(s *alert.Silence) { s.Matchers = alert.Matchers{} }, "at least one of rule"},
		{"bad severity", func(s *alert.Silence) { s.Matchers.Severity = "urgent" }, `unknown severity "urgent"`},
		{"bad country", func(s *alert.Silence) { s.Matchers.Country = "Mali" }, `"Mali" is not an ISO 3166-1 alpha-3 code`},
		{"ends before start", func(s *alert.Silence) { s.EndsAt = s.StartsAt }, "is not after starts_at"},
		{"no comment", func(s *alert.Silence) { s.Comment = " " }, "comment is required"},
		{"no author", func(s *alert.Silence) { s.CreatedBy = "" }, "created_by is required"},
	}
	for _, tt := range tests {
		s := ok
		tt.edit(&s)
		err := s.Validate()
		if !errors.Is(err, alert.ErrInvalid) || !contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want ErrInvalid with %q", tt.name, err, tt.want)
		}
	}
	if !ok.Active(t0) || ok.Active(t0.Add(-1)) || ok.Active(ok.EndsAt) {
		t.Error("Active: want StartsAt <= t < EndsAt")
	}
}
