package alert_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/event"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// The tests' firings are synthetic: rule ids, scores and titles are made
// up; countries and admin-1 names are real places.

var t0 = time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// firing is a synthetic firing of rule for a place, for the window of
// the month that starts on month.
func firing(rule, country, admin1 string, sev alert.Severity, month string) alert.Firing {
	start := day(month + "-01")
	return alert.Firing{
		Rule: rule, RuleVersion: "synthetic-1", Severity: sev, Country: country, Admin1: admin1,
		Labels: map[string]string{"theme": "violence"},
		Window: alert.Window{Start: start, End: start.AddDate(0, 1, -1)},
		Score:  4.2, Title: "Synthetic surge in " + country, Explanation: "synthetic: 12 events against a median of 2",
		Indicator: "fatalities_best",
		Evidence:  []alert.Point{{Label: month, Start: start, Value: 12}},
		Events:    []event.Key{{Source: "ucdp-ged", SourceID: "synthetic-1"}},
		AsOf:      start.AddDate(0, 1, 0),
	}
}

// fakeNotifier records what it is asked to enqueue, and fails while fail
// is set.
type fakeNotifier struct {
	mu   sync.Mutex
	got  []alert.Notification
	fail bool
}

func (n *fakeNotifier) Enqueue(_ context.Context, ns []alert.Notification) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail {
		return errors.New("synthetic: queue unavailable")
	}
	n.got = append(n.got, ns...)
	return nil
}

// sent lists "alertID receiver" for each enqueued notification.
func (n *fakeNotifier) sent() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, x := range n.got {
		out = append(out, x.Receiver.Name+" "+x.Message.Country)
	}
	return out
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type env struct {
	m     *alert.Manager
	db    *store.DB
	n     *fakeNotifier
	clock *clock
	audit *audit.Log
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	e := &env{db: db, n: &fakeNotifier{}, clock: &clock{t0}, audit: audit.New(db, nil)}
	m, err := alert.NewManager(alert.Options{Store: db, Notifier: e.n, Audit: e.audit, Now: e.clock.now,
		BaseURL: "https://threshold.example.org/"})
	if err != nil {
		t.Fatal(err)
	}
	e.m = m
	return e
}

func (e *env) process(t *testing.T, fs []alert.Firing, ev alert.Evaluated) alert.Result {
	t.Helper()
	res, err := e.m.Process(context.Background(), fs, ev, e.clock.t)
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	return res
}

func (e *env) all(t *testing.T) []alert.Alert {
	t.Helper()
	as, err := e.m.List(context.Background(), alert.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func ids(as []alert.Alert) []int64 {
	var out []int64
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

func actions(h []alert.Transition) []string {
	var out []string
	for _, x := range h {
		out = append(out, string(x.Action))
	}
	return out
}

var desk = alert.Actor{ID: 7, Name: "desk@example.org", Remote: "192.0.2.1"}

func TestProcessDeduplicates(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		e := newEnv(t, db)
		ctx := context.Background()
		fs := []alert.Firing{
			firing("fatalities-surge", "CAF", "", alert.Warning, "2024-02"),
			firing("fatalities-surge", "MLI", "Kidal", alert.Critical, "2024-02"),
		}
		ev := alert.Evaluated{Rules: []string{"fatalities-surge"}, AsOf: day("2024-03-01")}
		res := e.process(t, fs, ev)
		if len(res.Opened) != 2 || len(res.Updated) != 0 || res.Notified != 2 {
			t.Fatalf("first Process: opened %d, updated %d, notified %d; want 2, 0, 2", len(res.Opened), len(res.Updated), res.Notified)
		}
		caf := res.Opened[0]
		if caf.State != alert.StateFiring || caf.Group != "CAF" || caf.Fingerprint != "fatalities-surge|CAF|" ||
			!slices.Equal(caf.Receivers, []string{"africa-central-east-desk"}) {
			t.Errorf("opened alert = %+v", caf)
		}
		wantSent := []string{"africa-central-east-desk CAF", "crisis-centre MLI", "africa-west-desk MLI"}
		if got := e.n.sent(); !slices.Equal(got, wantSent) {
			t.Errorf("notified %v, want %v", got, wantSent)
		}
		if u := e.n.got[0].Message.URL; !strings.HasSuffix(u, "/alerts/"+itoa(caf.ID)) || !strings.HasPrefix(u, "https://threshold.example.org/alerts/") {
			t.Errorf("message URL %q", u)
		}
		if len(res.Groups) != 2 || res.Groups[0].Key != "CAF" || res.Groups[1].Key != "MLI" {
			t.Errorf("groups = %+v", res.Groups)
		}

		// The same firings again: nothing new, both updated, nobody
		// notified again.
		e.clock.t = t0.Add(time.Hour)
		res = e.process(t, fs, ev)
		if len(res.Opened) != 0 || len(res.Updated) != 2 || res.Notified != 0 || len(e.n.sent()) != 3 {
			t.Fatalf("second Process: opened %d, updated %d, notified %d (%d sent); want 0, 2, 0 (3)",
				len(res.Opened), len(res.Updated), res.Notified, len(e.n.sent()))
		}
		all := e.all(t)
		if len(all) != 2 {
			t.Fatalf("%d alerts after processing twice, want 2", len(all))
		}
		for _, a := range all {
			if !a.LastSeenAt.Equal(t0.Add(time.Hour)) || !a.FiredAt.Equal(t0) || a.NotifiedAt.IsZero() {
				t.Errorf("alert %d: fired %v, last seen %v, notified %v", a.ID, a.FiredAt, a.LastSeenAt, a.NotifiedAt)
			}
		}

		// A later window updates the window end and score; severity only
		// rises.
		later := firing("fatalities-surge", "CAF", "", alert.Info, "2024-03")
		later.Score = 6.5
		e.clock.t = t0.Add(2 * time.Hour)
		res = e.process(t, []alert.Firing{later}, alert.Evaluated{})
		a := res.Updated[0]
		if a.Severity != alert.Warning || a.Score != 6.5 || !a.Window.End.Equal(day("2024-03-31")) ||
			!a.Window.Start.Equal(day("2024-02-01")) || !a.FirstWindow.End.Equal(day("2024-02-29")) {
			t.Errorf("after an info firing: severity %s score %v window %v first %v", a.Severity, a.Score, a.Window, a.FirstWindow)
		}
		if res.Notified != 0 {
			t.Errorf("an update without escalation notified %d", res.Notified)
		}
		// Escalation to critical routes the alert to the crisis centre too,
		// and tells every receiver.
		later.Severity = alert.Critical
		res = e.process(t, []alert.Firing{later}, alert.Evaluated{})
		if a := res.Updated[0]; a.Severity != alert.Critical || !slices.Equal(a.Receivers, []string{"africa-central-east-desk", "crisis-centre"}) {
			t.Errorf("after a critical firing: severity %s, receivers %v", a.Severity, a.Receivers)
		}
		if res.Notified != 1 || !slices.Equal(e.n.sent()[3:], []string{"africa-central-east-desk CAF", "crisis-centre CAF"}) ||
			e.n.got[3].Message.Event != "escalated-critical" || e.n.got[3].Message.Severity != alert.Critical {
			t.Errorf("escalation notified %d: %v, event %q", res.Notified, e.n.sent(), e.n.got[len(e.n.got)-1].Message.Event)
		}
		if res = e.process(t, []alert.Firing{later}, alert.Evaluated{}); res.Notified != 0 {
			t.Errorf("the same critical firing notified %d again", res.Notified)
		}
		// Replaying the older evaluation changes nothing.
		res = e.process(t, fs[:1], alert.Evaluated{})
		if len(res.Updated) != 0 || res.Stale != 1 {
			t.Errorf("older window: updated %d, stale %d; want 0, 1", len(res.Updated), res.Stale)
		}
		_, h, err := e.m.Get(ctx, caf.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := actions(h); !slices.Equal(got, []string{"open", "escalate"}) {
			t.Errorf("history %v, want open, escalate", got)
		}
		// Firings of one fingerprint in one batch make one alert.
		dup := []alert.Firing{firing("coup", "NER", "", alert.Warning, "2024-01"), firing("coup", "NER", "", alert.Critical, "2023-12")}
		res = e.process(t, dup, alert.Evaluated{})
		if len(res.Opened) != 1 || res.Opened[0].Severity != alert.Critical || !res.Opened[0].Window.End.Equal(day("2024-01-31")) {
			t.Errorf("duplicate firings: %+v", res.Opened)
		}
		// Bad firings are refused, all named.
		_, err = e.m.Process(ctx, []alert.Firing{{Rule: "x"}, {Country: "CAF"}}, alert.Evaluated{}, t0)
		if !errors.Is(err, alert.ErrInvalid) || !contains(err.Error(), "firing 0 (x): no country") || !contains(err.Error(), "firing 1: no rule") {
			t.Errorf("bad firings: %v", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestProcessClearsAndResolves(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		e := newEnv(t, db)
		ctx := context.Background()
		rule := "fatalities-surge"
		caf, mli, ner := firing(rule, "CAF", "", alert.Warning, "2024-02"), firing(rule, "MLI", "", alert.Warning, "2024-02"),
			firing("coup", "NER", "", alert.Critical, "2024-02")
		res := e.process(t, []alert.Firing{caf, mli, ner}, alert.Evaluated{})
		a, b, c := res.Opened[0], res.Opened[1], res.Opened[2]
		if _, err := e.m.Acknowledge(ctx, a.ID, desk); err != nil {
			t.Fatal(err)
		}
		if _, err := e.m.Dismiss(ctx, b.ID, desk, "synthetic: herders' clash, local mediation under way"); err != nil {
			t.Fatal(err)
		}

		// The rule was evaluated for CAF and MLI and fired for neither:
		// both clear; the dismissed one resolves, the acknowledged one
		// waits for a human. The coup rule was not evaluated.
		e.clock.t = t0.Add(24 * time.Hour)
		res = e.process(t, nil, alert.Evaluated{Rules: []string{rule}, Countries: []string{"CAF", "MLI", "NER"}, AsOf: day("2024-04-01")})
		if got := ids(res.Cleared); !slices.Equal(got, []int64{a.ID, b.ID}) {
			t.Errorf("cleared %v, want %v", got, []int64{a.ID, b.ID})
		}
		if got := ids(res.Resolved); !slices.Equal(got, []int64{b.ID}) {
			t.Errorf("resolved %v, want %v", got, []int64{b.ID})
		}
		got, h, err := e.m.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != alert.StateAcknowledged || !got.ClearedAt.Equal(e.clock.t) {
			t.Errorf("acknowledged alert after clearing: %s, cleared %v", got.State, got.ClearedAt)
		}
		if acts := actions(h); !slices.Equal(acts, []string{"open", "acknowledge", "clear"}) || !contains(h[2].Note, "2024-04-01") {
			t.Errorf("history %v (%q)", acts, h[2].Note)
		}
		got, h, _ = e.m.Get(ctx, b.ID)
		if got.State != alert.StateResolved || got.ResolvedBy != "system" || !slices.Equal(actions(h), []string{"open", "dismiss", "clear", "resolve"}) {
			t.Errorf("dismissed alert after clearing: %s by %q, history %v", got.State, got.ResolvedBy, actions(h))
		}
		if got, _ := e.m.List(ctx, alert.Query{Open: true}); !slices.Equal(ids(got), []int64{c.ID, a.ID}) {
			t.Errorf("open alerts %v, want %v", ids(got), []int64{c.ID, a.ID})
		}

		// Evaluating again clears nothing twice.
		res = e.process(t, nil, alert.Evaluated{Rules: []string{rule}})
		if len(res.Cleared)+len(res.Resolved) != 0 {
			t.Errorf("second clearing: %v %v", ids(res.Cleared), ids(res.Resolved))
		}

		// CAF fires again: it loses ClearedAt.
		res = e.process(t, []alert.Firing{caf}, alert.Evaluated{Rules: []string{rule}})
		if len(res.Updated) != 1 || res.Updated[0].ID != a.ID || !res.Updated[0].ClearedAt.IsZero() {
			t.Errorf("refiring: %+v", res.Updated)
		}
		// Then clears again; a decision on the cleared alert resolves it at once.
		e.process(t, nil, alert.Evaluated{Rules: []string{rule}})
		got, err = e.m.Action(ctx, a.ID, desk, "synthetic: envoy called the prefect")
		if err != nil || got.State != alert.StateResolved || got.ActionNote != "synthetic: envoy called the prefect" || got.ActionedBy != desk.Name {
			t.Errorf("action on a cleared alert = %s, %v", got.State, err)
		}
		_, h, _ = e.m.Get(ctx, a.ID)
		if want := []string{"open", "acknowledge", "clear", "refire", "clear", "action", "resolve"}; !slices.Equal(actions(h), want) {
			t.Errorf("history %v, want %v", actions(h), want)
		}

		// A replay of the evaluation that fired MLI opens nothing: its
		// resolved alert covered that window. A later window opens a new
		// alert of the same fingerprint.
		res = e.process(t, []alert.Firing{mli}, alert.Evaluated{})
		if len(res.Opened) != 0 || res.Stale != 1 {
			t.Errorf("replay: opened %d, stale %d; want 0, 1", len(res.Opened), res.Stale)
		}
		next := firing(rule, "MLI", "", alert.Warning, "2024-05")
		res = e.process(t, []alert.Firing{next}, alert.Evaluated{})
		if len(res.Opened) != 1 || res.Opened[0].ID == b.ID || res.Opened[0].Fingerprint != b.Fingerprint {
			t.Errorf("new episode: %+v", res.Opened)
		}
	})
}

// TestLifecycle runs paths of lifecycle changes through the Manager and
// the store, and checks the states, errors, history and audit log.
func TestLifecycle(t *testing.T) {
	type step struct {
		act     alert.Action
		note    string
		wantErr error
	}
	tests := []struct {
		name  string
		steps []step
		want  alert.State
	}{
		{"acknowledge, action, resolve", []step{{alert.ActAcknowledge, "", nil}, {alert.ActAction, "synthetic: called the governor", nil},
			{alert.ActResolve, "", nil}}, alert.StateResolved},
		{"acknowledge, dismiss, resolve", []step{{alert.ActAcknowledge, "", nil}, {alert.ActDismiss, "synthetic: known seasonal clash", nil},
			{alert.ActResolve, "done", nil}}, alert.StateResolved},
		{"action straight away", []step{{alert.ActAction, "synthetic: note", nil}}, alert.StateActioned},
		{"dismiss straight away", []step{{alert.ActDismiss, "synthetic: duplicate", nil}}, alert.StateDismissed},
		{"acknowledge twice", []step{{alert.ActAcknowledge, "", nil}, {alert.ActAcknowledge, "", alert.ErrTransition}}, alert.StateAcknowledged},
		{"resolve without decision", []step{{alert.ActResolve, "", alert.ErrTransition}}, alert.StateFiring},
		{"resolve acknowledged", []step{{alert.ActAcknowledge, "", nil}, {alert.ActResolve, "", alert.ErrTransition}}, alert.StateAcknowledged},
		{"acknowledge after action", []step{{alert.ActAction, "synthetic: note", nil}, {alert.ActAcknowledge, "", alert.ErrTransition}}, alert.StateActioned},
		{"dismiss after action", []step{{alert.ActAction, "synthetic: note", nil}, {alert.ActDismiss, "why", alert.ErrTransition}}, alert.StateActioned},
		{"action after dismissal", []step{{alert.ActDismiss, "why", nil}, {alert.ActAction, "synthetic: note", alert.ErrTransition}}, alert.StateDismissed},
		{"anything after resolution", []step{{alert.ActDismiss, "why", nil}, {alert.ActResolve, "", nil},
			{alert.ActAcknowledge, "", alert.ErrTransition}, {alert.ActAction, "n", alert.ErrTransition},
			{alert.ActDismiss, "r", alert.ErrTransition}, {alert.ActResolve, "", alert.ErrTransition},
			{alert.ActAssign, "desk@example.org", alert.ErrTransition}}, alert.StateResolved},
		{"dismiss without reason", []step{{alert.ActDismiss, " ", alert.ErrInvalid}}, alert.StateFiring},
		{"action without note", []step{{alert.ActAction, "", alert.ErrInvalid}}, alert.StateFiring},
		{"assign and unassign", []step{{alert.ActAssign, "Officer@Example.org", nil}, {alert.ActAssign, "", nil}}, alert.StateFiring},
		{"assign to a non-address", []step{{alert.ActAssign, "Jane Officer", alert.ErrInvalid}}, alert.StateFiring},
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		e := newEnv(t, db)
		ctx := context.Background()
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := firing("fatalities-surge", "CAF", "admin1-"+itoa(int64(i)), alert.Warning, "2024-02")
				a := e.process(t, []alert.Firing{f}, alert.Evaluated{}).Opened[0]
				wantHist := []string{"open"}
				for _, s := range tt.steps {
					var err error
					switch s.act {
					case alert.ActAcknowledge:
						_, err = e.m.Acknowledge(ctx, a.ID, desk)
					case alert.ActAction:
						_, err = e.m.Action(ctx, a.ID, desk, s.note)
					case alert.ActDismiss:
						_, err = e.m.Dismiss(ctx, a.ID, desk, s.note)
					case alert.ActResolve:
						_, err = e.m.Resolve(ctx, a.ID, desk, s.note)
					case alert.ActAssign:
						_, err = e.m.Assign(ctx, a.ID, desk, s.note)
					}
					if !errors.Is(err, s.wantErr) || (s.wantErr == nil) != (err == nil) {
						t.Fatalf("%s %q: %v, want %v", s.act, s.note, err, s.wantErr)
					}
					if err == nil {
						wantHist = append(wantHist, string(s.act))
					}
				}
				got, h, err := e.m.Get(ctx, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.State != tt.want {
					t.Errorf("state %s, want %s", got.State, tt.want)
				}
				if !slices.Equal(actions(h), wantHist) {
					t.Errorf("history %v, want %v", actions(h), wantHist)
				}
				for _, x := range h[1:] {
					if x.Actor != desk.Name || !x.At.Equal(t0) || x.AlertID != a.ID {
						t.Errorf("history line %+v", x)
					}
				}
				// Each line of history is in the audit log, by its actor.
				recs, err := e.audit.Latest(ctx, len(h))
				if err != nil {
					t.Fatal(err)
				}
				for i, r := range recs {
					x := h[len(h)-1-i]
					if r.Action != "alert."+string(x.Action) || r.Object != "alert:"+itoa(a.ID) || r.Actor != x.Actor {
						t.Errorf("audit %d = %s %s by %s; want alert.%s by %s", r.Seq, r.Action, r.Object, r.Actor, x.Action, x.Actor)
					}
				}
				switch {
				case tt.want == alert.StateResolved && (got.ResolvedAt.IsZero() || got.ResolvedBy != desk.Name):
					t.Errorf("resolved at %v by %q", got.ResolvedAt, got.ResolvedBy)
				case tt.name == "assign and unassign" && (got.Assignee != "" || !contains(h[1].Note, "officer@example.org")):
					t.Errorf("assignee %q, history %+v", got.Assignee, h)
				}
			})
		}
		if _, err := e.m.Acknowledge(ctx, 999999, desk); !errors.Is(err, alert.ErrNotFound) {
			t.Errorf("unknown alert: %v, want ErrNotFound", err)
		}
		if _, _, err := e.m.Get(ctx, 999999); !errors.Is(err, alert.ErrNotFound) {
			t.Errorf("Get unknown alert: %v, want ErrNotFound", err)
		}
		n, head, err := e.audit.Verify(ctx)
		if err != nil || n == 0 {
			t.Errorf("audit chain: %d entries, head %s: %v", n, head, err)
		}
	})
}

// TestConcurrentChange checks that two changes made from the same read
// cannot both win.
func TestConcurrentChange(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.process(t, []alert.Firing{firing("coup", "BFA", "", alert.Critical, "2024-02")}, alert.Evaluated{}).Opened[0]
		// Two writers read version 1.
		w1, w2 := alert.Write{Alert: a}, alert.Write{Alert: a}
		w1.Alert.State, w2.Alert.State = alert.StateAcknowledged, alert.StateDismissed
		if _, err := db.SaveAlerts(ctx, []alert.Write{w1}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveAlerts(ctx, []alert.Write{w2}); !errors.Is(err, alert.ErrConflict) {
			t.Errorf("stale write: %v, want ErrConflict", err)
		}
		// A second open alert of the same episode is refused.
		dup := alert.Write{Alert: a}
		dup.Alert.ID, dup.Alert.Version = 0, 0
		if _, err := db.SaveAlerts(ctx, []alert.Write{dup}); !errors.Is(err, alert.ErrConflict) {
			t.Errorf("second open alert: %v, want ErrConflict", err)
		}
		// Managers processing the same new firing at once open it once.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := alert.NewManager(alert.Options{Store: db, Now: e.clock.now})
				if err == nil {
					_, err = m.Process(ctx, []alert.Firing{firing("coup", "GIN", "", alert.Critical, "2024-02")}, alert.Evaluated{}, t0)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Errorf("concurrent Process: %v", err)
			}
		}
		if got, _ := e.m.List(ctx, alert.Query{Country: "GIN"}); len(got) != 1 {
			t.Errorf("%d alerts for GIN after concurrent processing, want 1", len(got))
		}
	})
}

func TestSilences(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		e := newEnv(t, db)
		ctx := context.Background()
		s, err := e.m.AddSilence(ctx, desk, alert.Silence{Matchers: alert.Matchers{Country: "mli", Rule: "fatalities-surge"},
			EndsAt: t0.Add(48 * time.Hour), Comment: "synthetic: a mission is on the ground"})
		if err != nil {
			t.Fatal(err)
		}
		if s.ID == 0 || s.CreatedBy != desk.Name || !s.StartsAt.Equal(t0) || s.Matchers.Country != "MLI" {
			t.Errorf("silence = %+v", s)
		}
		if _, err := e.m.AddSilence(ctx, desk, alert.Silence{EndsAt: t0.Add(time.Hour), Comment: "x"}); !errors.Is(err, alert.ErrInvalid) {
			t.Errorf("silence without matchers: %v", err)
		}
		if _, err := e.m.AddSilence(ctx, desk, alert.Silence{Matchers: alert.Matchers{Rule: "x"}, StartsAt: t0.Add(-2 * time.Hour),
			EndsAt: t0.Add(-time.Hour), Comment: "x"}); !errors.Is(err, alert.ErrInvalid) {
			t.Errorf("silence in the past: %v", err)
		}

		res := e.process(t, []alert.Firing{
			firing("fatalities-surge", "MLI", "", alert.Warning, "2024-02"),
			firing("fatalities-surge", "CAF", "", alert.Warning, "2024-02"),
			firing("coup", "MLI", "", alert.Critical, "2024-02"),
		}, alert.Evaluated{})
		muted, caf, coup := res.Opened[0], res.Opened[1], res.Opened[2]
		if muted.SilencedBy != s.ID || caf.SilencedBy != 0 || coup.SilencedBy != 0 {
			t.Errorf("silenced by %d, %d, %d; want %d, 0, 0", muted.SilencedBy, caf.SilencedBy, coup.SilencedBy, s.ID)
		}
		if got := e.n.sent(); !slices.Equal(got, []string{"africa-central-east-desk CAF", "crisis-centre MLI", "africa-west-desk MLI"}) {
			t.Errorf("notified %v", got)
		}
		_, h, _ := e.m.Get(ctx, muted.ID)
		if !contains(h[0].Note, "muted by silence") {
			t.Errorf("open note %q", h[0].Note)
		}

		if got, _ := e.m.Silences(ctx, alert.SilenceQuery{Active: true}); len(got) != 1 {
			t.Errorf("%d active silences, want 1", len(got))
		}
		e.clock.t = t0.Add(time.Hour)
		exp, err := e.m.ExpireSilence(ctx, desk, s.ID)
		if err != nil || !exp.EndsAt.Equal(e.clock.t) || exp.ExpiredBy != desk.Name {
			t.Fatalf("ExpireSilence = %+v, %v", exp, err)
		}
		if _, err := e.m.ExpireSilence(ctx, desk, s.ID); !errors.Is(err, alert.ErrInvalid) {
			t.Errorf("expiring twice: %v, want ErrInvalid", err)
		}
		if _, err := e.m.ExpireSilence(ctx, desk, 424242); !errors.Is(err, alert.ErrNotFound) {
			t.Errorf("expiring an unknown silence: %v, want ErrNotFound", err)
		}
		active, _ := e.m.Silences(ctx, alert.SilenceQuery{Active: true})
		expired, _ := e.m.Silences(ctx, alert.SilenceQuery{Expired: true})
		all, _ := e.m.Silences(ctx, alert.SilenceQuery{})
		if len(active) != 0 || len(expired) != 1 || len(all) != 1 {
			t.Errorf("active %d, expired %d, all %d; want 0, 1, 1", len(active), len(expired), len(all))
		}
		// Once expired, the silence mutes nothing new.
		res = e.process(t, []alert.Firing{firing("fatalities-surge", "MLI", "Gao", alert.Warning, "2024-02")}, alert.Evaluated{})
		if res.Opened[0].SilencedBy != 0 || res.Notified != 1 {
			t.Errorf("after expiry: silenced by %d, notified %d", res.Opened[0].SilencedBy, res.Notified)
		}
		recs, _ := e.audit.Latest(ctx, 50)
		var silenceActs []string
		for _, r := range recs {
			if strings.HasPrefix(r.Action, "silence.") {
				silenceActs = append(silenceActs, r.Action)
			}
		}
		if !slices.Equal(silenceActs, []string{"silence.expire", "silence.add"}) {
			t.Errorf("silence audit %v", silenceActs)
		}
	})
}

// TestRenotifyAfterCrash simulates a crash between committing alerts and
// enqueuing their delivery: the enqueue fails, the alerts stay pending,
// and a new Manager (the restarted process) delivers them with Renotify.
func TestRenotifyAfterCrash(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.n.fail = true
		res, err := e.m.Process(ctx, []alert.Firing{firing("coup", "SDN", "", alert.Critical, "2024-02")}, alert.Evaluated{}, t0)
		if err == nil || !contains(err.Error(), "notification deferred") {
			t.Fatalf("Process with a failing notifier: %v", err)
		}
		if len(res.Opened) != 1 || res.Notified != 0 {
			t.Fatalf("opened %d, notified %d; want 1, 0", len(res.Opened), res.Notified)
		}
		pending, err := db.PendingNotifications(ctx)
		if err != nil || len(pending) != 1 || !pending[0].NotifiedAt.IsZero() {
			t.Fatalf("pending = %v, %v", ids(pending), err)
		}

		restarted := &fakeNotifier{}
		m, err := alert.NewManager(alert.Options{Store: db, Notifier: restarted, Now: e.clock.now})
		if err != nil {
			t.Fatal(err)
		}
		n, err := m.Renotify(ctx)
		if err != nil || n != 1 {
			t.Fatalf("Renotify = %d, %v; want 1", n, err)
		}
		if got := restarted.sent(); !slices.Equal(got, []string{"crisis-centre SDN", "africa-central-east-desk SDN"}) {
			t.Errorf("renotified %v", got)
		}
		if n, err := m.Renotify(ctx); err != nil || n != 0 {
			t.Errorf("second Renotify = %d, %v; want 0", n, err)
		}
		a, _, _ := m.Get(ctx, res.Opened[0].ID)
		if a.NotifiedAt.IsZero() {
			t.Error("notified_at not set after Renotify")
		}
	})
}

func TestQueries(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		e := newEnv(t, db)
		ctx := context.Background()
		res := e.process(t, []alert.Firing{
			firing("fatalities-surge", "CAF", "", alert.Warning, "2024-02"),
			firing("fatalities-surge", "CAF", "Ouham", alert.Critical, "2024-02"),
			firing("coup", "MLI", "", alert.Critical, "2024-02"),
			firing("protest-rise", "MEX", "", alert.Info, "2024-02"),
		}, alert.Evaluated{})
		o := res.Opened
		if _, err := e.m.Assign(ctx, o[1].ID, desk, "officer@example.org"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.m.Dismiss(ctx, o[3].ID, desk, "synthetic: noise"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.m.Resolve(ctx, o[3].ID, desk, ""); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			q    alert.Query
			want []int64
		}{
			{"all, newest first", alert.Query{}, []int64{o[3].ID, o[2].ID, o[1].ID, o[0].ID}},
			{"open", alert.Query{Open: true}, []int64{o[2].ID, o[1].ID, o[0].ID}},
			{"state", alert.Query{States: []alert.State{alert.StateResolved}}, []int64{o[3].ID}},
			{"country", alert.Query{Country: "CAF"}, []int64{o[1].ID, o[0].ID}},
			{"group", alert.Query{Group: "MLI"}, []int64{o[2].ID}},
			{"severity", alert.Query{Severity: alert.Critical}, []int64{o[2].ID, o[1].ID}},
			{"rule", alert.Query{Rule: "coup"}, []int64{o[2].ID}},
			{"assignee", alert.Query{Assignee: "Officer@example.org"}, []int64{o[1].ID}},
			{"page 1", alert.Query{Limit: 2}, []int64{o[3].ID, o[2].ID}},
			{"page 2", alert.Query{Limit: 2, Before: o[2].ID}, []int64{o[1].ID, o[0].ID}},
		}
		for _, tt := range tests {
			got, err := e.m.List(ctx, tt.q)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("%s: %v, want %v", tt.name, ids(got), tt.want)
			}
		}
		gs, err := e.m.Groups(ctx, alert.Query{Open: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(gs) != 2 || gs[0].Key != "MLI" || gs[1].Key != "CAF" || gs[1].Open != 2 || gs[1].Severity != alert.Critical {
			t.Errorf("groups %+v", gs)
		}
		// Everything a firing carries comes back from the store.
		a, _, _ := e.m.Get(ctx, o[1].ID)
		f := firing("fatalities-surge", "CAF", "Ouham", alert.Critical, "2024-02")
		if a.Admin1 != "Ouham" || a.Labels["theme"] != "violence" || a.Indicator != f.Indicator || len(a.Evidence) != 1 ||
			!a.Evidence[0].Start.Equal(f.Evidence[0].Start) || len(a.Events) != 1 || a.Events[0] != f.Events[0] ||
			a.Title != f.Title || a.Explanation != f.Explanation || a.Score != f.Score || a.RuleVersion != f.RuleVersion ||
			!a.Window.Start.Equal(f.Window.Start) || !a.Window.End.Equal(f.Window.End) || a.Assignee != "officer@example.org" ||
			a.Version != 2 {
			t.Errorf("stored alert %+v", a)
		}
	})
}

// BenchmarkProcess measures one evaluation's firings for every country in
// the code table (about 250): opening them, then updating them.
func BenchmarkProcess(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			var db *store.DB
			if name == "sqlite" {
				db, _ = storetest.SQLite(b)
			} else {
				db, _ = storetest.Postgres(b)
			}
			m, err := alert.NewManager(alert.Options{Store: db, Notifier: &fakeNotifier{}})
			if err != nil {
				b.Fatal(err)
			}
			var fs []alert.Firing
			for _, c := range countries(b) {
				fs = append(fs, firing("fatalities-surge", c, "", alert.Warning, "2024-02"))
			}
			ctx := context.Background()
			start := time.Now()
			res, err := m.Process(ctx, fs, alert.Evaluated{}, t0)
			if err != nil || len(res.Opened) != len(fs) {
				b.Fatalf("open: %d, %v", len(res.Opened), err)
			}
			openMS := float64(time.Since(start).Microseconds()) / 1000
			for b.Loop() {
				if _, err := m.Process(ctx, fs, alert.Evaluated{}, t0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(fs)), "firings/op")
			b.ReportMetric(openMS, "open-ms")
		})
	}
}
