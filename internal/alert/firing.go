// Package alert is the warning half of Threshold's loop: it turns what alert
// rules find (Firing) into alerts with a lifecycle.
//
// A Firing is one rule's verdict that its condition holds for one place in
// one window. The Manager deduplicates firings into alerts (one alert per
// episode: rule + place, while the alert is not resolved), groups the alerts
// of one country, routes each to the desk or regional office responsible
// (Route, like Alertmanager's routing tree), applies silences, and moves
// alerts through their states:
//
//	firing → acknowledged → actioned | dismissed (with a reason) → resolved
//
// with every transition timestamped and audited. Delivery to subscribers is
// the notify package's job; the Manager hands it the alerts to deliver.
package alert

import (
	"context"
	"fmt"
	"strings"
	"time"

	"threshold/internal/event"
)

// Severity orders how urgently an alert needs a human.
type Severity string

// The severities, least urgent first.
const (
	Info     Severity = "info"     // worth knowing; no action expected
	Warning  Severity = "warning"  // a desk should look at it this week
	Critical Severity = "critical" // a desk should look at it today
)

// Severities lists the severities, least urgent first.
func Severities() []Severity { return []Severity{Info, Warning, Critical} }

// Rank is the severity's position in Severities (0 for Info), -1 if unknown.
func (s Severity) Rank() int {
	for i, v := range Severities() {
		if v == s {
			return i
		}
	}
	return -1
}

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { return s.Rank() >= 0 }

// ParseSeverity parses a severity name.
func ParseSeverity(s string) (Severity, error) {
	v := Severity(strings.ToLower(strings.TrimSpace(s)))
	if !v.Valid() {
		return "", fmt.Errorf("unknown severity %q (want info, warning or critical)", s)
	}
	return v, nil
}

// Window is the span of data a firing looked at: for an indicator or
// detector rule the period(s) scored, for an event trigger the day(s) of the
// triggering events. Start and End are civil days (midnight UTC), inclusive.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Point is one value of the evidence series shown with an alert.
type Point struct {
	Label string    `json:"label"` // the period, e.g. "2013-12" or "2024-W05"
	Start time.Time `json:"start"` // the period's first day
	Value float64   `json:"value"`
}

// Firing is one rule's verdict that its condition holds for one place in
// one window, as of one evaluation. It is a candidate alert: the Manager
// decides whether it opens a new alert or belongs to an open one.
type Firing struct {
	Rule        string            `json:"rule"`         // the rule's id in the rules file
	RuleVersion string            `json:"rule_version"` // the rules file's version
	Severity    Severity          `json:"severity"`
	Labels      map[string]string `json:"labels,omitempty"` // the rule's labels plus any the evaluation adds

	Country string `json:"country"`          // ISO 3166-1 alpha-3
	Admin1  string `json:"admin1,omitempty"` // "" for the whole country
	Window  Window `json:"window"`

	Score       float64 `json:"score"`       // the rule's measure: a detector score, an indicator value, a count
	Title       string  `json:"title"`       // one line, e.g. "Fatalities surge in Ouham (CAF)"
	Explanation string  `json:"explanation"` // plain language: what was seen against what history

	// Indicator is the indicator the evidence series shows ("" for event
	// triggers without a series); Evidence is that series, oldest first,
	// ending with the window.
	Indicator string  `json:"indicator,omitempty"`
	Evidence  []Point `json:"evidence,omitempty"`
	// Events are the triggering events (for event triggers) or the largest
	// events of the window (for indicator and detector rules), at most a few
	// dozen.
	Events []event.Key `json:"events,omitempty"`

	// AsOf is the evaluation's "now": the data known up to this day.
	AsOf time.Time `json:"as_of"`
}

// Fingerprint identifies the episode a firing belongs to: the rule and the
// place. Firings with the same fingerprint while an alert is open are the
// same alert.
func (f Firing) Fingerprint() string {
	return f.Rule + "|" + f.Country + "|" + f.Admin1
}

// Place is the firing's place for display: "CAF" or "CAF / Ouham".
func (f Firing) Place() string {
	if f.Admin1 == "" {
		return f.Country
	}
	return f.Country + " / " + f.Admin1
}

// Receiver is a named destination for alerts: a desk or regional office
// with its subscribers. Routes (the routing table) send each alert to one or
// more receivers; the notify package delivers to their webhooks and
// mailboxes.
type Receiver struct {
	Name     string    `json:"name" yaml:"name"`
	Webhooks []Webhook `json:"webhooks,omitempty" yaml:"webhooks"`
	Emails   []string  `json:"emails,omitempty" yaml:"emails"`
}

// Webhook is an HTTP endpoint that receives alerts as signed JSON. The
// signing secret is never stored in configuration files: SecretEnv names the
// environment variable that holds it.
type Webhook struct {
	URL       string `json:"url" yaml:"url"`
	SecretEnv string `json:"secret_env,omitempty" yaml:"secret_env"`
}

// Message is what subscribers are told about an alert: enough to read it
// without opening Threshold, and a link to open it.
type Message struct {
	AlertID     int64             `json:"alert_id"`
	Event       string            `json:"event"` // "firing" for a new alert; later lifecycle events may follow
	Rule        string            `json:"rule"`
	Severity    Severity          `json:"severity"`
	Country     string            `json:"country"`
	Admin1      string            `json:"admin1,omitempty"`
	Group       string            `json:"group"` // the group key: alerts of one country group together
	Title       string            `json:"title"`
	Explanation string            `json:"explanation"`
	Window      Window            `json:"window"`
	Labels      map[string]string `json:"labels,omitempty"`
	FiredAt     time.Time         `json:"fired_at"`
	URL         string            `json:"url,omitempty"` // the alert's page, when the server's public URL is known
}

// Notification asks for one message to be delivered to one receiver (to
// each of its webhooks and mailboxes).
type Notification struct {
	Receiver Receiver `json:"receiver"`
	Message  Message  `json:"message"`
}

// Notifier delivers notifications. Enqueue must be durable (once it
// returns nil, the notifications survive a restart and are delivered with
// retries) and idempotent (enqueuing the same alert, event and receiver
// again delivers nothing new), so the Manager can safely re-enqueue after a
// crash between committing an alert and enqueuing its delivery.
type Notifier interface {
	Enqueue(ctx context.Context, ns []Notification) error
}
