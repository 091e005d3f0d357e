package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/audit"
)

// Store keeps alerts, their history and silences. *store.DB implements
// it. Methods return errors matching ErrNotFound and ErrConflict.
type Store interface {
	// OpenAlerts returns every alert that is not resolved.
	OpenAlerts(ctx context.Context) ([]Alert, error)
	// ResolvedWindowEnds returns, for each of the fingerprints that has
	// resolved alerts, the latest window end among them.
	ResolvedWindowEnds(ctx context.Context, fingerprints []string) (map[string]time.Time, error)
	// SaveAlerts writes alerts and their new history in one transaction
	// and returns them as stored. An alert with ID 0 is inserted; the
	// store refuses (ErrConflict) a second open alert with the same
	// fingerprint. Another is updated only if its Version is the stored
	// one (else ErrConflict), and its Version goes up by one.
	SaveAlerts(ctx context.Context, ws []Write) ([]Alert, error)
	// PendingNotifications returns the open, unsilenced alerts whose
	// NotifiedAt is zero or whose NotifiedSeverity is not their
	// severity, oldest first.
	PendingNotifications(ctx context.Context) ([]Alert, error)
	// MarkNotified records what was handed to the notifier: it sets
	// NotifiedAt of the alerts that have none, and NotifiedSeverity.
	MarkNotified(ctx context.Context, sent []Notified, at time.Time) error
	// Alert returns one alert; AlertHistory its history, oldest first.
	Alert(ctx context.Context, id int64) (Alert, error)
	AlertHistory(ctx context.Context, id int64) ([]Transition, error)
	// Alerts returns the alerts q selects, newest (highest ID) first.
	Alerts(ctx context.Context, q Query) ([]Alert, error)

	// AddSilence stores a new silence and returns it with its ID.
	AddSilence(ctx context.Context, s Silence) (Silence, error)
	// Silences returns the silences q selects, newest first.
	Silences(ctx context.Context, q SilenceQuery) ([]Silence, error)
	// ExpireSilence ends a silence that has not ended at at, setting
	// EndsAt to at and ExpiredBy to by. It is ErrNotFound if there is no
	// such silence and ErrInvalid if it has already ended.
	ExpireSilence(ctx context.Context, id int64, by string, at time.Time) (Silence, error)
}

// Notified is an alert handed to the notifier, at a severity.
type Notified struct {
	ID       int64
	Severity Severity
}

// Write is one alert to save with the history lines it gained. The
// store sets the lines' AlertID.
type Write struct {
	Alert   Alert
	History []Transition
}

// Recorder writes audit entries; *audit.Log implements it.
type Recorder interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Options configure a Manager. Store is required.
type Options struct {
	Store Store
	// Routing routes new alerts; nil is DefaultRouting.
	Routing *Routing
	// Notifier is handed new, unsilenced alerts; nil leaves them pending
	// (Renotify delivers them once there is one).
	Notifier Notifier
	// Audit records every transition; nil records nothing (tests only).
	Audit Recorder
	Log   *slog.Logger // nil discards
	Now   func() time.Time
	// BaseURL is the server's public URL; messages link to
	// BaseURL/alerts/ID. "" leaves the link out.
	BaseURL string
}

// Manager turns firings into alerts and moves alerts through their
// lifecycle. It is safe for concurrent use, also by several processes
// sharing a database: the store's unique index and version checks make
// concurrent writers conflict rather than duplicate, and Process retries.
type Manager struct {
	st       Store
	routing  *Routing
	notifier Notifier
	audit    Recorder
	log      *slog.Logger
	now      func() time.Time
	baseURL  string
}

// NewManager returns a Manager.
func NewManager(o Options) (*Manager, error) {
	if o.Store == nil {
		return nil, errors.New("alert manager: no store")
	}
	m := &Manager{st: o.Store, routing: o.Routing, notifier: o.Notifier, audit: o.Audit,
		log: o.Log, now: o.Now, baseURL: strings.TrimRight(o.BaseURL, "/")}
	if m.routing == nil {
		r, err := DefaultRouting()
		if err != nil {
			return nil, err
		}
		m.routing = r
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m, nil
}

// Routing returns the routing table the Manager routes new alerts with.
func (m *Manager) Routing() *Routing { return m.routing }

// Evaluated says what an evaluation covered, so that Process can tell an
// alert whose condition stopped holding from one that was not looked at.
type Evaluated struct {
	Rules     []string  // the rule IDs evaluated
	Countries []string  // the countries evaluated; empty means every country
	AsOf      time.Time // the evaluation's "now": the data known up to this day
}

func (e Evaluated) covers(a Alert) bool {
	return slices.Contains(e.Rules, a.Rule) && (len(e.Countries) == 0 || slices.Contains(e.Countries, a.Country))
}

// Result is what one Process call changed.
type Result struct {
	Opened   []Alert `json:"opened"`   // new alerts, silenced ones included
	Updated  []Alert `json:"updated"`  // open alerts that fired again
	Cleared  []Alert `json:"cleared"`  // open alerts evaluated that did not fire
	Resolved []Alert `json:"resolved"` // cleared alerts resolved automatically
	// Stale counts firings of a replayed evaluation, which change
	// nothing: for a window that a resolved alert of the same rule and
	// place covered, or older than its open alert's window.
	Stale int `json:"stale"`
	// Notified counts alerts handed to the Notifier, earlier pending ones
	// included.
	Notified int `json:"notified"`
	// Groups are the groups of the alerts opened or updated, with those
	// alerts.
	Groups []Group `json:"groups"`
}

// maxAttempts bounds Process's retries after a concurrent change. Each
// round of contending writers lets at least one commit, so this many
// evaluations of the same alerts at once all get through.
const maxAttempts = 5

// Process takes one evaluation's firings and what it evaluated:
//
//   - A firing whose fingerprint (rule and place) matches an alert that
//     is not resolved updates it, unless its window ends before the
//     alert's (a replay, counted as stale): last seen, score, window end, title,
//     explanation, evidence and events; its severity only ever rises; a
//     cleared alert that fires again loses ClearedAt.
//   - Any other firing opens a new alert, in state firing, routed by the
//     routing table and muted if an active silence matches it, unless a
//     resolved alert of the same fingerprint already covered its window
//     (a replay), which is counted as stale. Processing the same firings
//     twice therefore opens nothing new.
//   - An open alert whose rule and country were evaluated and that did not
//     fire gets ClearedAt.
//   - A cleared alert in which a human recorded a decision (actioned or
//     dismissed) is resolved automatically. A cleared alert still firing
//     or acknowledged stays open: nobody has looked at it and decided, and
//     the condition having stopped is no reason to drop a warning nobody
//     read. A human resolves it.
//
// All writes happen in one transaction. Only after it commits are new,
// unsilenced alerts, alerts whose severity rose (routed again, so a
// crisis centre that takes critical alerts joins their receivers), and any
// left pending by an earlier failure handed to the Notifier, and then
// marked notified. If enqueuing fails, Process
// returns the Result with an error; the alerts stay pending and the next
// Process or Renotify retries.
func (m *Manager) Process(ctx context.Context, firings []Firing, ev Evaluated, now time.Time) (Result, error) {
	firings, err := mergeFirings(firings)
	if err != nil {
		return Result{}, err
	}
	var res Result
	var hist []Transition
	for attempt := 1; ; attempt++ {
		res, hist, err = m.process(ctx, firings, ev, now)
		if err == nil || !errors.Is(err, ErrConflict) || attempt == maxAttempts {
			break
		}
		m.log.InfoContext(ctx, "alerts changed concurrently; processing again", "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-time.After(time.Duration(attempt) * 5 * time.Millisecond):
		}
	}
	if err != nil {
		return Result{}, fmt.Errorf("process %d firings: %w", len(firings), err)
	}
	// Unaudited system changes are logged; they are in each alert's
	// history, and failing here would hide the alerts from the caller.
	_ = m.auditAll(ctx, System, hist)
	n, err := m.notifyPending(ctx)
	res.Notified = n
	if err != nil {
		return res, fmt.Errorf("alerts stored; notification deferred: %w", err)
	}
	return res, nil
}

// mergeFirings checks firings and keeps one per fingerprint: the one with
// the latest window, with the highest severity among them.
func mergeFirings(fs []Firing) ([]Firing, error) {
	var problems []error
	var out []Firing
	idx := map[string]int{}
	for i, f := range fs {
		switch {
		case f.Rule == "":
			problems = append(problems, fmt.Errorf("firing %d: no rule", i))
			continue
		case f.Country == "":
			problems = append(problems, fmt.Errorf("firing %d (%s): no country", i, f.Rule))
			continue
		case !f.Severity.Valid():
			problems = append(problems, fmt.Errorf("firing %d (%s, %s): unknown severity %q", i, f.Rule, f.Place(), f.Severity))
			continue
		case f.Window.End.Before(f.Window.Start):
			problems = append(problems, fmt.Errorf("firing %d (%s, %s): window ends before it starts", i, f.Rule, f.Place()))
			continue
		}
		j, ok := idx[f.Fingerprint()]
		if !ok {
			idx[f.Fingerprint()] = len(out)
			out = append(out, f)
			continue
		}
		sev := out[j].Severity
		if f.Severity.Rank() > sev.Rank() {
			sev = f.Severity
		}
		if f.Window.End.After(out[j].Window.End) {
			out[j] = f
		}
		out[j].Severity = sev
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, errors.Join(problems...))
	}
	return out, nil
}

func (m *Manager) process(ctx context.Context, firings []Firing, ev Evaluated, now time.Time) (Result, []Transition, error) {
	open, err := m.st.OpenAlerts(ctx)
	if err != nil {
		return Result{}, nil, fmt.Errorf("read open alerts: %w", err)
	}
	byFP := make(map[string]Alert, len(open))
	for _, a := range open {
		byFP[a.Fingerprint] = a
	}
	var fresh []string
	for _, f := range firings {
		if _, ok := byFP[f.Fingerprint()]; !ok {
			fresh = append(fresh, f.Fingerprint())
		}
	}
	var covered map[string]time.Time
	if len(fresh) > 0 {
		if covered, err = m.st.ResolvedWindowEnds(ctx, fresh); err != nil {
			return Result{}, nil, fmt.Errorf("read resolved alerts: %w", err)
		}
	}
	var silences []Silence
	if len(fresh) > 0 {
		if silences, err = m.st.Silences(ctx, SilenceQuery{At: now, Active: true}); err != nil {
			return Result{}, nil, fmt.Errorf("read silences: %w", err)
		}
	}

	var (
		ws    []Write
		kinds []string // what each write is, for the Result
		res   Result
		fired = map[string]bool{}
	)
	for _, f := range firings {
		fp := f.Fingerprint()
		fired[fp] = true
		if a, ok := byFP[fp]; ok {
			if f.Window.End.Before(a.Window.End) {
				// A replay of an older evaluation: the alert already
				// holds newer evidence.
				res.Stale++
				continue
			}
			w := Write{Alert: a}
			m.update(&w, f, now)
			ws, kinds = append(ws, w), append(kinds, "updated")
			continue
		}
		if end, ok := covered[fp]; ok && !f.Window.End.After(end) {
			res.Stale++
			continue
		}
		ws, kinds = append(ws, m.open(f, silences, now)), append(kinds, "opened")
	}
	for _, a := range open {
		if fired[a.Fingerprint] {
			continue
		}
		w := Write{Alert: a}
		kind := ""
		if a.ClearedAt.IsZero() && ev.covers(a) {
			w.Alert.ClearedAt = now
			w.History = append(w.History, Transition{Action: ActClear, From: a.State, To: a.State, Actor: System.Name, At: now,
				Note: "the condition no longer holds as of " + day(ev.AsOf)})
			kind = "cleared"
		}
		if !w.Alert.ClearedAt.IsZero() && (a.State == StateActioned || a.State == StateDismissed) {
			autoResolve(&w, now)
			kind = "resolved"
		}
		if kind != "" {
			ws, kinds = append(ws, w), append(kinds, kind)
		}
	}
	if len(ws) == 0 {
		return res, nil, nil
	}
	saved, err := m.st.SaveAlerts(ctx, ws)
	if err != nil {
		return Result{}, nil, err
	}
	var hist []Transition
	var touched []Alert
	for i, a := range saved {
		for _, h := range ws[i].History {
			h.AlertID = a.ID
			hist = append(hist, h)
		}
		switch kinds[i] {
		case "opened":
			res.Opened = append(res.Opened, a)
			touched = append(touched, a)
		case "updated":
			res.Updated = append(res.Updated, a)
			touched = append(touched, a)
		case "cleared":
			res.Cleared = append(res.Cleared, a)
		case "resolved":
			if slices.ContainsFunc(ws[i].History, func(t Transition) bool { return t.Action == ActClear }) {
				res.Cleared = append(res.Cleared, a)
			}
			res.Resolved = append(res.Resolved, a)
		}
	}
	res.Groups = GroupAlerts(touched)
	return res, hist, nil
}

// update applies a firing to the open alert of its episode. A rise in
// severity routes the alert again: receivers the new severity adds (a
// crisis centre taking critical alerts) join those it had.
func (m *Manager) update(w *Write, f Firing, now time.Time) {
	a := &w.Alert
	if !a.ClearedAt.IsZero() {
		w.History = append(w.History, Transition{Action: ActRefire, From: a.State, To: a.State, Actor: System.Name, At: now,
			Note: "the condition holds again: " + f.Title})
		a.ClearedAt = time.Time{}
	}
	if f.Severity.Rank() > a.Severity.Rank() {
		note := fmt.Sprintf("severity %s → %s: %s", a.Severity, f.Severity, f.Title)
		a.Severity = f.Severity
		var added []string
		for _, rc := range m.routing.Match(*a) {
			if !slices.Contains(a.Receivers, rc.Name) {
				a.Receivers = append(a.Receivers, rc.Name)
				added = append(added, rc.Name)
			}
		}
		if len(added) > 0 {
			note += "; routed also to " + strings.Join(added, ", ")
		}
		w.History = append(w.History, Transition{Action: ActEscalate, From: a.State, To: a.State, Actor: System.Name, At: now, Note: note})
	}
	a.LastSeenAt = now
	a.RuleVersion = f.RuleVersion
	a.Score = f.Score
	if f.Window.End.After(a.Window.End) {
		a.Window.End = f.Window.End
	}
	if f.Window.Start.Before(a.Window.Start) {
		a.Window.Start = f.Window.Start
	}
	a.Title, a.Explanation = f.Title, f.Explanation
	a.Indicator, a.Evidence, a.Events = f.Indicator, f.Evidence, f.Events
	if len(f.Labels) > 0 {
		a.Labels = f.Labels
	}
	a.UpdatedAt = now
}

// open makes a new alert from a firing, routed and, if an active silence
// matches, muted.
func (m *Manager) open(f Firing, silences []Silence, now time.Time) Write {
	a := Alert{
		Fingerprint: f.Fingerprint(), Rule: f.Rule, RuleVersion: f.RuleVersion, Severity: f.Severity,
		Labels: f.Labels, Country: f.Country, Admin1: f.Admin1, Group: f.Country,
		Window: f.Window, FirstWindow: f.Window, Score: f.Score, Title: f.Title, Explanation: f.Explanation,
		Indicator: f.Indicator, Evidence: f.Evidence, Events: f.Events,
		State: StateFiring, FiredAt: now, LastSeenAt: now, UpdatedAt: now,
	}
	for _, rc := range m.routing.Match(a) {
		a.Receivers = append(a.Receivers, rc.Name)
	}
	note := "routed to " + strings.Join(a.Receivers, ", ")
	for _, s := range silences {
		if s.Active(now) && s.Matchers.Match(a) {
			a.SilencedBy = s.ID
			note += fmt.Sprintf("; muted by silence %d (%s, until %s)", s.ID, s.Comment, s.EndsAt.UTC().Format(time.RFC3339))
			break
		}
	}
	return Write{Alert: a, History: []Transition{{Action: ActOpen, To: StateFiring, Actor: System.Name, At: now, Note: note}}}
}

func autoResolve(w *Write, now time.Time) {
	a := &w.Alert
	w.History = append(w.History, Transition{Action: ActResolve, From: a.State, To: StateResolved, Actor: System.Name, At: now,
		Note: "resolved automatically: the condition cleared and the alert was " + string(a.State)})
	a.State, a.ResolvedAt, a.ResolvedBy, a.UpdatedAt = StateResolved, now, System.Name, now
}

func day(t time.Time) string {
	if t.IsZero() {
		return "the latest evaluation"
	}
	return t.UTC().Format(time.DateOnly)
}

// Renotify hands the Notifier every open, unsilenced alert not yet
// notified at its severity. Run it at startup: it covers a crash between
// committing new alerts and enqueuing their delivery (the Notifier's
// Enqueue is idempotent, so an alert enqueued just before the crash is not
// delivered twice). It returns how many alerts it handed over.
//
// A new alert's message is the event "firing"; an alert notified before
// whose severity has since risen is the event "escalated-" and the new
// severity ("escalated-critical"), to all its receivers, those the rise
// added included.
func (m *Manager) Renotify(ctx context.Context) (int, error) {
	return m.notifyPending(ctx)
}

func (m *Manager) notifyPending(ctx context.Context) (int, error) {
	if m.notifier == nil {
		return 0, nil
	}
	pending, err := m.st.PendingNotifications(ctx)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	var ns []Notification
	sent := make([]Notified, 0, len(pending))
	for _, a := range pending {
		sent = append(sent, Notified{ID: a.ID, Severity: a.Severity})
		evt := "firing"
		if !a.NotifiedAt.IsZero() {
			evt = "escalated-" + string(a.Severity)
		}
		msg := m.Message(a, evt)
		for _, name := range a.Receivers {
			rc, ok := m.routing.Receiver(name)
			if !ok {
				// The routing table changed since the alert was routed;
				// the notifier resolves the name or logs it.
				rc = Receiver{Name: name}
			}
			ns = append(ns, Notification{Receiver: rc, Message: msg})
		}
	}
	if err := m.notifier.Enqueue(ctx, ns); err != nil {
		m.log.WarnContext(ctx, "alert notifications not enqueued; they stay pending", "alerts", len(pending), "err", err)
		return 0, fmt.Errorf("enqueue notifications for %d alerts: %w", len(pending), err)
	}
	if err := m.st.MarkNotified(ctx, sent, m.now()); err != nil {
		return 0, fmt.Errorf("mark %d alerts notified: %w", len(sent), err)
	}
	return len(pending), nil
}

// Message is what subscribers are told about a, as event evt.
func (m *Manager) Message(a Alert, evt string) Message {
	msg := Message{AlertID: a.ID, Event: evt, Rule: a.Rule, Severity: a.Severity, Country: a.Country, Admin1: a.Admin1,
		Group: a.Group, Title: a.Title, Explanation: a.Explanation, Window: a.Window, Labels: a.Labels, FiredAt: a.FiredAt}
	if m.baseURL != "" {
		msg.URL = m.baseURL + "/alerts/" + strconv.FormatInt(a.ID, 10)
	}
	return msg
}

// transitions are the lifecycle's state changes: the action, the states
// it may start from, and the state it leads to.
var transitions = map[Action]struct {
	from []State
	to   State
}{
	ActAcknowledge: {[]State{StateFiring}, StateAcknowledged},
	ActAction:      {[]State{StateFiring, StateAcknowledged}, StateActioned},
	ActDismiss:     {[]State{StateFiring, StateAcknowledged}, StateDismissed},
	ActResolve:     {[]State{StateActioned, StateDismissed}, StateResolved},
}

// Next returns the state act leads to from state from, or an error
// wrapping ErrTransition. The lifecycle is
//
//	firing → acknowledged
//	firing | acknowledged → actioned | dismissed
//	actioned | dismissed → resolved
//
// Resolving needs a recorded decision (actioned or dismissed) first, and
// resolved is final: there is no reopening; the next firing of the same
// rule and place opens a new alert, with its own history. A decision is
// not changed either: record a further action in casework, or let the
// alert resolve and judge the next episode afresh.
func Next(from State, act Action) (State, error) {
	t, ok := transitions[act]
	if !ok {
		return "", fmt.Errorf("%w: %q is not a state change", ErrTransition, act)
	}
	if !slices.Contains(t.from, from) {
		hint := ""
		switch {
		case from == StateResolved:
			hint = "; a resolved alert is final"
		case act == ActResolve:
			hint = "; record a decision first: action or dismiss it"
		}
		return "", fmt.Errorf("%w: cannot %s an alert that is %s (%s → %s)%s", ErrTransition, act, from, from, t.to, hint)
	}
	return t.to, nil
}

// Acknowledge records that actor has seen alert id.
func (m *Manager) Acknowledge(ctx context.Context, id int64, actor Actor) (Alert, error) {
	return m.transition(ctx, id, actor, ActAcknowledge, "")
}

// Action records what actor did about alert id: note is required.
func (m *Manager) Action(ctx context.Context, id int64, actor Actor, note string) (Alert, error) {
	if strings.TrimSpace(note) == "" {
		return Alert{}, fmt.Errorf("%w: say what was done (note)", ErrInvalid)
	}
	return m.transition(ctx, id, actor, ActAction, note)
}

// Dismiss records actor's decision that alert id needs nothing, and why:
// reason is required.
func (m *Manager) Dismiss(ctx context.Context, id int64, actor Actor, reason string) (Alert, error) {
	if strings.TrimSpace(reason) == "" {
		return Alert{}, fmt.Errorf("%w: a dismissal needs a reason", ErrInvalid)
	}
	return m.transition(ctx, id, actor, ActDismiss, reason)
}

// Resolve closes alert id; note is optional.
func (m *Manager) Resolve(ctx context.Context, id int64, actor Actor, note string) (Alert, error) {
	return m.transition(ctx, id, actor, ActResolve, note)
}

// Assign gives open alert id to the user with email assignee to follow,
// or takes it back from whoever has it when assignee is "".
func (m *Manager) Assign(ctx context.Context, id int64, actor Actor, assignee string) (Alert, error) {
	assignee = strings.ToLower(strings.TrimSpace(assignee))
	if assignee != "" {
		if a, err := mail.ParseAddress(assignee); err != nil || a.Name != "" || a.Address != assignee {
			return Alert{}, fmt.Errorf("%w: assignee %q is not an email address", ErrInvalid, assignee)
		}
	}
	return m.change(ctx, id, actor, func(w *Write, now time.Time) error {
		a := &w.Alert
		if !a.State.Open() {
			return fmt.Errorf("%w: cannot assign an alert that is resolved", ErrTransition)
		}
		note := "assigned to " + assignee
		if assignee == "" {
			note = "unassigned from " + a.Assignee
		}
		a.Assignee = assignee
		w.History = append(w.History, Transition{Action: ActAssign, From: a.State, To: a.State, Actor: actor.Name, Note: note, At: now})
		return nil
	})
}

func (m *Manager) transition(ctx context.Context, id int64, actor Actor, act Action, note string) (Alert, error) {
	return m.change(ctx, id, actor, func(w *Write, now time.Time) error {
		a := &w.Alert
		to, err := Next(a.State, act)
		if err != nil {
			return fmt.Errorf("alert %d: %w", id, err)
		}
		w.History = append(w.History, Transition{Action: act, From: a.State, To: to, Actor: actor.Name, Note: note, At: now})
		switch act {
		case ActAcknowledge:
			a.AcknowledgedAt, a.AcknowledgedBy = now, actor.Name
		case ActAction:
			a.ActionedAt, a.ActionedBy, a.ActionNote = now, actor.Name, note
		case ActDismiss:
			a.DismissedAt, a.DismissedBy, a.DismissReason = now, actor.Name, note
		case ActResolve:
			a.ResolvedAt, a.ResolvedBy = now, actor.Name
		}
		a.State = to
		// A decision on an alert whose condition has already cleared
		// closes it, as the next evaluation would.
		if !a.ClearedAt.IsZero() && (to == StateActioned || to == StateDismissed) {
			autoResolve(w, now)
		}
		return nil
	})
}

// change reads alert id, applies fn and saves it with the history fn
// added, then audits that history. A concurrent change makes it fail
// with ErrConflict rather than overwrite.
func (m *Manager) change(ctx context.Context, id int64, actor Actor, fn func(w *Write, now time.Time) error) (Alert, error) {
	if strings.TrimSpace(actor.Name) == "" {
		return Alert{}, fmt.Errorf("%w: no actor", ErrInvalid)
	}
	a, err := m.st.Alert(ctx, id)
	if err != nil {
		return Alert{}, fmt.Errorf("alert %d: %w", id, err)
	}
	now := m.now()
	w := Write{Alert: a}
	if err := fn(&w, now); err != nil {
		return Alert{}, err
	}
	w.Alert.UpdatedAt = now
	saved, err := m.st.SaveAlerts(ctx, []Write{w})
	if err != nil {
		return Alert{}, fmt.Errorf("alert %d: %w", id, err)
	}
	hist := make([]Transition, 0, len(w.History))
	for _, h := range w.History {
		h.AlertID = id
		hist = append(hist, h)
	}
	// The first line is the actor's; an automatic resolution after it is
	// the system's.
	err = m.auditAll(ctx, actor, hist[:1])
	if len(hist) > 1 {
		err = errors.Join(err, m.auditAll(ctx, System, hist[1:]))
	}
	if err != nil {
		return saved[0], fmt.Errorf("alert %d changed but not audited: %w", id, err)
	}
	return saved[0], nil
}

// auditAll records history lines in the audit log, all of them even if
// one fails. Failures are logged and returned; the changes are committed
// and the alert's own history holds them.
func (m *Manager) auditAll(ctx context.Context, actor Actor, hist []Transition) error {
	if m.audit == nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for _, h := range hist {
		e := audit.Entry{ActorID: actor.ID, Actor: actor.Name, Action: "alert." + string(h.Action),
			Object: "alert:" + strconv.FormatInt(h.AlertID, 10), Remote: actor.Remote,
			Details: map[string]string{"from": string(h.From), "to": string(h.To), "note": h.Note}}
		if err := m.audit.Record(ctx, e); err != nil {
			m.log.ErrorContext(ctx, "alert change not audited", "alert", h.AlertID, "action", h.Action, "err", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Get returns an alert with its history.
func (m *Manager) Get(ctx context.Context, id int64) (Alert, []Transition, error) {
	a, err := m.st.Alert(ctx, id)
	if err != nil {
		return Alert{}, nil, fmt.Errorf("alert %d: %w", id, err)
	}
	h, err := m.st.AlertHistory(ctx, id)
	if err != nil {
		return Alert{}, nil, fmt.Errorf("alert %d history: %w", id, err)
	}
	return a, h, nil
}

// List returns the alerts q selects, newest first.
func (m *Manager) List(ctx context.Context, q Query) ([]Alert, error) {
	return m.st.Alerts(ctx, q)
}

// Groups returns the alerts q selects grouped by country, groups in the
// order of their newest alert.
func (m *Manager) Groups(ctx context.Context, q Query) ([]Group, error) {
	as, err := m.st.Alerts(ctx, q)
	if err != nil {
		return nil, err
	}
	return GroupAlerts(as), nil
}

// AddSilence creates a silence by actor. StartsAt defaults to now.
func (m *Manager) AddSilence(ctx context.Context, actor Actor, s Silence) (Silence, error) {
	now := m.now()
	s.ID, s.CreatedBy, s.CreatedAt, s.ExpiredBy = 0, actor.Name, now, ""
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	s.Matchers.Country = strings.ToUpper(strings.TrimSpace(s.Matchers.Country))
	if err := s.Validate(); err != nil {
		return Silence{}, err
	}
	if !s.EndsAt.After(now) {
		return Silence{}, fmt.Errorf("%w: silence: ends_at %s is in the past", ErrInvalid, s.EndsAt.UTC().Format(time.RFC3339))
	}
	s, err := m.st.AddSilence(ctx, s)
	if err != nil {
		return Silence{}, fmt.Errorf("add silence: %w", err)
	}
	m.auditSilence(ctx, actor, "silence.add", s)
	return s, nil
}

// Silences lists silences; q.At defaults to now.
func (m *Manager) Silences(ctx context.Context, q SilenceQuery) ([]Silence, error) {
	if q.At.IsZero() {
		q.At = m.now()
	}
	return m.st.Silences(ctx, q)
}

// ExpireSilence ends silence id now.
func (m *Manager) ExpireSilence(ctx context.Context, actor Actor, id int64) (Silence, error) {
	s, err := m.st.ExpireSilence(ctx, id, actor.Name, m.now())
	if err != nil {
		return Silence{}, fmt.Errorf("silence %d: %w", id, err)
	}
	m.auditSilence(ctx, actor, "silence.expire", s)
	return s, nil
}

func (m *Manager) auditSilence(ctx context.Context, actor Actor, action string, s Silence) {
	if m.audit == nil {
		return
	}
	e := audit.Entry{ActorID: actor.ID, Actor: actor.Name, Action: action, Object: "silence:" + strconv.FormatInt(s.ID, 10),
		Remote: actor.Remote, Details: s}
	if err := m.audit.Record(context.WithoutCancel(ctx), e); err != nil {
		m.log.ErrorContext(ctx, "silence change not audited", "silence", s.ID, "err", err)
	}
}
