package roster

import (
	"fmt"
	"slices"
	"time"
)

// Status is where a deployment is.
type Status string

// The statuses.
const (
	Requested Status = "requested"
	Approved  Status = "approved"
	Active    Status = "active"
	Completed Status = "completed"
	Rejected  Status = "rejected"
	Cancelled Status = "cancelled"
)

// Statuses lists the statuses.
func Statuses() []Status {
	return []Status{Requested, Approved, Active, Completed, Rejected, Cancelled}
}

// Holding lists the statuses in which a deployment holds its person for
// its window: every one but rejected and cancelled.
func Holding() []Status { return []Status{Requested, Approved, Active, Completed} }

// Holds reports whether a deployment in status s holds its person.
func (s Status) Holds() bool { return slices.Contains(Holding(), s) }

// ParseStatus parses a status name.
func ParseStatus(s string) (Status, error) {
	v := Status(normalise(s))
	if !slices.Contains(Statuses(), v) {
		return "", fmt.Errorf("%w: unknown deployment status %q (want requested, approved, active, completed, rejected or cancelled)", ErrInvalid, s)
	}
	return v, nil
}

var transitions = map[Status][]Status{
	Requested: {Approved, Rejected, Cancelled},
	Approved:  {Active, Cancelled},
	Active:    {Completed},
}

// CheckTransition reports whether a deployment may go from status from
// to to.
func CheckTransition(from, to Status) error {
	if !slices.Contains(transitions[from], to) {
		return fmt.Errorf("%w: a deployment %s cannot become %s", ErrInvalidTransition, from, to)
	}
	return nil
}

// Transition is one status change of a deployment; the first has From "".
type Transition struct {
	From  Status    `json:"from,omitempty"`
	To    Status    `json:"to"`
	Actor string    `json:"actor"`
	Note  string    `json:"note,omitempty"`
	At    time.Time `json:"at"`
}

// Deployment sends one person to one case for Days days from Start.
type Deployment struct {
	ID          int64     `json:"id"`
	PersonID    int64     `json:"person_id"`
	Person      string    `json:"person,omitempty"` // name, filled on reads
	CaseID      int64     `json:"case_id"`
	Role        string    `json:"role"`
	Start       time.Time `json:"start"`
	Days        int       `json:"days"`
	Status      Status    `json:"status"`
	RequestedBy string    `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
	Version     int64     `json:"version"`
	// NamedOnCase: approving the deployment named the person among the
	// case's responsible staff, so that they may read the case; a
	// cancellation takes the name off.
	NamedOnCase bool         `json:"named_on_case"`
	History     []Transition `json:"history,omitempty"`
}

// End is the deployment's last day.
func (d Deployment) End() time.Time { return d.Start.AddDate(0, 0, d.Days-1) }

// MaxDays is the longest deployment.
const MaxDays = 366

func checkWindow(start time.Time, days int) error {
	if start.IsZero() {
		return fmt.Errorf("%w: start: a date is required", ErrInvalid)
	}
	if days < 1 || days > MaxDays {
		return fmt.Errorf("%w: days: %d is not between 1 and %d", ErrInvalid, days, MaxDays)
	}
	return nil
}

// DeploymentQuery selects deployments.
type DeploymentQuery struct {
	PersonID int64    // 0: any
	CaseID   int64    // 0: any
	Status   []Status // nil: any
	Limit    int      // 0: no limit
}

// DayStatus is what a person is doing on a day.
type DayStatus string

// The calendar's statuses.
const (
	Available    DayStatus = "available"
	OnDeployment DayStatus = "on-deployment"
	Away         DayStatus = "unavailable"
)

// Span is a run of days, first and last included, of one status.
type Span struct {
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	Status       DayStatus `json:"status"`
	DeploymentID int64     `json:"deployment_id,omitempty"`
}

// Calendar is p's availability from from to to (both included), as runs
// of days: on-deployment where a holding deployment covers the day,
// unavailable where an unavailable period does, available otherwise.
func Calendar(p Person, from, to time.Time) []Span {
	from, to = Day(from), Day(to)
	var out []Span
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		s := Span{Start: d, End: d, Status: Available}
		for _, dep := range p.Deployments {
			if dep.Status.Holds() && overlaps(d, d, dep.Start, dep.End()) {
				s.Status, s.DeploymentID = OnDeployment, dep.ID
				break
			}
		}
		if s.Status == Available {
			for _, u := range p.Unavailable {
				if overlaps(d, d, u.Start, u.End) {
					s.Status = Away
					break
				}
			}
		}
		if n := len(out); n > 0 && out[n-1].Status == s.Status && out[n-1].DeploymentID == s.DeploymentID {
			out[n-1].End = d
			continue
		}
		out = append(out, s)
	}
	return out
}
