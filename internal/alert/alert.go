package alert

import (
	"errors"
	"fmt"
	"time"

	"threshold/internal/event"
)

// Sentinel errors callers branch on.
var (
	// ErrTransition: the alert's state does not allow the change asked
	// for. The error wraps it with the states from and to.
	ErrTransition = errors.New("invalid alert transition")
	// ErrInvalid: a request is incomplete or malformed (a dismissal
	// without a reason, a silence without matchers).
	ErrInvalid = errors.New("invalid request")
	// ErrConflict: someone else changed the alert, or opened the same
	// episode, at the same time. Reading again and retrying is safe.
	ErrConflict = errors.New("concurrent change")
	// ErrNotFound: no alert or silence with that ID.
	ErrNotFound = errors.New("not found")
)

// State is where an alert is in its lifecycle.
type State string

// The states. An alert opens firing; a human acknowledges it, then
// records a decision: actioned (something was done) or dismissed (with a
// reason). Resolved is final: a later firing of the same rule and place
// opens a new alert.
const (
	StateFiring       State = "firing"
	StateAcknowledged State = "acknowledged"
	StateActioned     State = "actioned"
	StateDismissed    State = "dismissed"
	StateResolved     State = "resolved"
)

// States lists the states in lifecycle order.
func States() []State {
	return []State{StateFiring, StateAcknowledged, StateActioned, StateDismissed, StateResolved}
}

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	for _, v := range States() {
		if v == s {
			return true
		}
	}
	return false
}

// Open reports whether an alert in state s still belongs to its episode:
// every state but Resolved.
func (s State) Open() bool { return s != StateResolved }

// ParseState parses a state name.
func ParseState(s string) (State, error) {
	if v := State(s); v.Valid() {
		return v, nil
	}
	return "", fmt.Errorf("%w: unknown alert state %q (want firing, acknowledged, actioned, dismissed or resolved)", ErrInvalid, s)
}

// Action names what happened to an alert in its history.
type Action string

// The history actions. Acknowledge, Action, Dismiss and Resolve change the
// state; Assign, Clear, Refire and Escalate record what happened without
// changing it.
const (
	ActOpen        Action = "open"        // a firing opened the alert
	ActAcknowledge Action = "acknowledge" // a human has seen it
	ActAssign      Action = "assign"      // given to a user to follow
	ActAction      Action = "action"      // a human recorded what was done
	ActDismiss     Action = "dismiss"     // a human decided nothing is needed, and why
	ActResolve     Action = "resolve"     // closed, by a human or automatically
	ActClear       Action = "clear"       // an evaluation found the condition no longer holds
	ActRefire      Action = "refire"      // the condition holds again after clearing
	ActEscalate    Action = "escalate"    // a firing raised the severity
)

// Alert is one episode of one rule's condition holding for one place: the
// firings of that rule and place while the alert is not resolved all
// update it.
type Alert struct {
	ID          int64             `json:"id"`
	Fingerprint string            `json:"fingerprint"` // rule|country|admin1, see Firing.Fingerprint
	Rule        string            `json:"rule"`
	RuleVersion string            `json:"rule_version"`
	Severity    Severity          `json:"severity"` // the highest severity of the episode's firings
	Labels      map[string]string `json:"labels,omitempty"`
	Country     string            `json:"country"`
	Admin1      string            `json:"admin1,omitempty"`
	Group       string            `json:"group"` // alerts of one country group together: the country's code

	Window      Window      `json:"window"`       // the latest firing's window, its start kept from the first
	FirstWindow Window      `json:"first_window"` // the window of the firing that opened the alert
	Score       float64     `json:"score"`        // the latest firing's score
	Title       string      `json:"title"`
	Explanation string      `json:"explanation"`
	Indicator   string      `json:"indicator,omitempty"`
	Evidence    []Point     `json:"evidence,omitempty"`
	Events      []event.Key `json:"events,omitempty"`

	Receivers  []string `json:"receivers"` // names of the receivers it was routed to
	State      State    `json:"state"`
	SilencedBy int64    `json:"silenced_by,omitempty"` // the silence that muted it when it opened; 0 for none
	Assignee   string   `json:"assignee,omitempty"`    // a user's email

	FiredAt        time.Time `json:"fired_at"`            // opened
	LastSeenAt     time.Time `json:"last_seen_at"`        // the latest evaluation it fired in
	ClearedAt      time.Time `json:"cleared_at,omitzero"` // the condition stopped holding; zero while it holds
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"`
	AcknowledgedBy string    `json:"acknowledged_by,omitempty"`
	ActionedAt     time.Time `json:"actioned_at,omitzero"`
	ActionedBy     string    `json:"actioned_by,omitempty"`
	ActionNote     string    `json:"action_note,omitempty"`
	DismissedAt    time.Time `json:"dismissed_at,omitzero"`
	DismissedBy    string    `json:"dismissed_by,omitempty"`
	DismissReason  string    `json:"dismiss_reason,omitempty"`
	ResolvedAt     time.Time `json:"resolved_at,omitzero"`
	ResolvedBy     string    `json:"resolved_by,omitempty"`
	NotifiedAt     time.Time `json:"notified_at,omitzero"` // first handed to the Notifier; zero until then, and for silenced alerts
	// NotifiedSeverity is the severity subscribers were last told of. An
	// alert whose severity rose past it is notified again.
	NotifiedSeverity Severity  `json:"notified_severity,omitempty"`
	UpdatedAt        time.Time `json:"updated_at"`

	// Version counts the alert's writes. The store refuses an update whose
	// Version is not the stored one (ErrConflict), so two concurrent
	// changes cannot overwrite each other.
	Version int64 `json:"version"`
}

// Place is the alert's place for display: "CAF" or "CAF / Ouham".
func (a Alert) Place() string {
	if a.Admin1 == "" {
		return a.Country
	}
	return a.Country + " / " + a.Admin1
}

// Transition is one line of an alert's history.
type Transition struct {
	ID      int64     `json:"id"`
	AlertID int64     `json:"alert_id"`
	Action  Action    `json:"action"`
	From    State     `json:"from,omitempty"` // "" when the alert opened
	To      State     `json:"to"`
	Actor   string    `json:"actor"`          // a user's email, "cli:<OS user>" or "system"
	Note    string    `json:"note,omitempty"` // the reason, the action taken, the assignee, what the evaluation saw
	At      time.Time `json:"at"`
}

// Actor is who changes an alert. The API passes the signed-in user, the
// CLI "cli:<OS user>".
type Actor struct {
	ID     int64  // user ID; 0 for the CLI and the system
	Name   string // the user's email, or e.g. "cli:alice"
	Remote string // client address; "" on the CLI
}

// System is the actor of what the Manager does on its own: opening,
// clearing and auto-resolving alerts.
var System = Actor{Name: "system"}

// Query selects alerts. Zero fields select everything.
type Query struct {
	States   []State  // any of these states
	Open     bool     // only alerts not resolved
	Country  string   // ISO alpha-3
	Group    string   // group key
	Severity Severity // exactly this severity
	Rule     string
	Assignee string
	// Before pages backwards: only alerts with an ID below it. Alerts
	// come newest first.
	Before int64
	Limit  int // 0 is no limit
}

// Group is the alerts of one country.
type Group struct {
	Key      string   `json:"key"`      // the country's ISO alpha-3 code
	Severity Severity `json:"severity"` // the highest severity among its open alerts, or among all if none is open
	Open     int      `json:"open"`     // how many are not resolved
	Alerts   []Alert  `json:"alerts"`   // newest first
}

// GroupAlerts groups alerts by group key, in the order each key first
// appears in alerts.
func GroupAlerts(alerts []Alert) []Group {
	var out []Group
	idx := map[string]int{}
	for _, a := range alerts {
		i, ok := idx[a.Group]
		if !ok {
			i = len(out)
			idx[a.Group] = i
			out = append(out, Group{Key: a.Group})
		}
		g := &out[i]
		g.Alerts = append(g.Alerts, a)
		if a.State.Open() {
			if g.Open == 0 || a.Severity.Rank() > g.Severity.Rank() {
				g.Severity = a.Severity
			}
			g.Open++
		} else if g.Open == 0 && a.Severity.Rank() > g.Severity.Rank() {
			g.Severity = a.Severity
		}
	}
	return out
}
