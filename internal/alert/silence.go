package alert

import (
	"fmt"
	"strings"
	"time"
)

// Silence mutes new alerts that match it while it is active: they are
// stored, with SilencedBy set, but nobody is notified. A silence never
// touches alerts that are already open, and never hides an alert from
// the inbox; an alert muted when it opened stays muted for its whole
// episode, even after the silence expires.
type Silence struct {
	ID        int64     `json:"id"`
	Matchers  Matchers  `json:"matchers"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"` // expiry; expiring a silence early moves it to now
	CreatedBy string    `json:"created_by"`
	Comment   string    `json:"comment"` // why: "known, followed by the Sahel desk until the mission returns"
	CreatedAt time.Time `json:"created_at"`
	// ExpiredBy is who expired the silence before its end; "" if nobody.
	ExpiredBy string `json:"expired_by,omitempty"`
}

// Matchers say which alerts a silence mutes: all the non-empty ones must
// match, exactly. A silence needs at least one.
type Matchers struct {
	Rule     string            `json:"rule,omitempty"`
	Country  string            `json:"country,omitempty"`
	Admin1   string            `json:"admin1,omitempty"`
	Severity Severity          `json:"severity,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
}

// Empty reports whether m has no matcher, and so would match every alert.
func (m Matchers) Empty() bool {
	return m.Rule == "" && m.Country == "" && m.Admin1 == "" && m.Severity == "" && len(m.Labels) == 0
}

// Match reports whether a matches every non-empty matcher.
func (m Matchers) Match(a Alert) bool {
	if m.Rule != "" && m.Rule != a.Rule ||
		m.Country != "" && m.Country != a.Country ||
		m.Admin1 != "" && m.Admin1 != a.Admin1 ||
		m.Severity != "" && m.Severity != a.Severity {
		return false
	}
	for k, v := range m.Labels {
		if got, ok := a.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Active reports whether s mutes alerts opened at t: StartsAt <= t < EndsAt.
func (s Silence) Active(t time.Time) bool {
	return !t.Before(s.StartsAt) && t.Before(s.EndsAt)
}

// Validate checks a silence about to be created.
func (s Silence) Validate() error {
	var problems []string
	if s.Matchers.Empty() {
		problems = append(problems, "matchers: at least one of rule, country, admin1, severity, labels is required (a silence of everything hides every warning)")
	}
	if s.Matchers.Severity != "" && !s.Matchers.Severity.Valid() {
		problems = append(problems, fmt.Sprintf("matchers.severity: unknown severity %q (want info, warning or critical)", s.Matchers.Severity))
	}
	if c := s.Matchers.Country; c != "" && (len(c) != 3 || strings.ToUpper(c) != c) {
		problems = append(problems, fmt.Sprintf("matchers.country: %q is not an ISO 3166-1 alpha-3 code", c))
	}
	for k := range s.Matchers.Labels {
		if k == "" {
			problems = append(problems, "matchers.labels: empty label name")
		}
	}
	if s.StartsAt.IsZero() || s.EndsAt.IsZero() {
		problems = append(problems, "starts_at and ends_at are required")
	} else if !s.EndsAt.After(s.StartsAt) {
		problems = append(problems, fmt.Sprintf("ends_at %s is not after starts_at %s",
			s.EndsAt.Format(time.RFC3339), s.StartsAt.Format(time.RFC3339)))
	}
	if strings.TrimSpace(s.CreatedBy) == "" {
		problems = append(problems, "created_by is required")
	}
	if strings.TrimSpace(s.Comment) == "" {
		problems = append(problems, "comment is required: say why the alerts may be muted")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: silence: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

// SilenceQuery selects silences.
type SilenceQuery struct {
	// At is the time Active and Expired are judged at.
	At time.Time
	// Active: only silences active at At (started, not ended). Expired:
	// only those that ended at or before At. Neither: all.
	Active, Expired bool
}
