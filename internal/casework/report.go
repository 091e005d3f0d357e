package casework

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"threshold/internal/geo"
)

// Answer is one link of an action of a case to an alert: the facts the
// warning-to-action time is computed from.
type Answer struct {
	CaseID     int64
	CaseTitle  string
	LeadOffice string
	Level      Confidentiality // the case's
	AlertID    int64
	Country    string    // the alert's
	FiredAt    time.Time // the alert's
	ActionID   int64
	ActionAt   time.Time
}

// Warning is an alert no action answers.
type Warning struct {
	AlertID  int64     `json:"alert_id"`
	Rule     string    `json:"rule"`
	Country  string    `json:"country"`
	Admin1   string    `json:"admin1,omitempty"`
	Severity string    `json:"severity"`
	State    string    `json:"state"`
	Title    string    `json:"title"`
	FiredAt  time.Time `json:"fired_at"`
	AgeDays  float64   `json:"age_days"` // at the report's time
}

// Summary is the warning-to-action times of one group of episodes.
type Summary struct {
	Key        string        `json:"key"`             // the case's id, the office, the region or the quarter ("2013-Q2")
	Title      string        `json:"title,omitempty"` // the case's title, in the per-case rows
	Count      int           `json:"count"`           // episodes answered
	MedianDays float64       `json:"median_days"`
	P90Days    float64       `json:"p90_days"`
	Median     time.Duration `json:"-"`
	P90        time.Duration `json:"-"`
}

// Report is the warning-to-action report.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	Overall     Summary   `json:"overall"`
	ByCase      []Summary `json:"by_case"`    // by case id
	ByOffice    []Summary `json:"by_office"`  // by lead office; "" for cases without one
	ByRegion    []Summary `json:"by_region"`  // by the M49 region of the alert's country
	ByQuarter   []Summary `json:"by_quarter"` // by the quarter the alert fired in
	// UnansweredAfterDays is the age past which an unanswered warning is
	// listed.
	UnansweredAfterDays float64   `json:"unanswered_after_days"`
	Unanswered          []Warning `json:"unanswered"` // oldest first
}

// ReportInput is what Compute reads.
type ReportInput struct {
	Answers         []Answer
	Unanswered      []Warning // fired before Now - UnansweredAfter
	Now             time.Time
	UnansweredAfter time.Duration
	Region          func(iso3 string) string // nil: every country in ""
}

// Compute makes the report; it is pure. An episode is one alert. Its
// time, per case, is from FiredAt to the first action of that case linked
// to it and dated at or after FiredAt; overall and per office, region and
// quarter, to the first such action of any case (the office is that
// action's case's). Links to actions dated before the alert fired answer
// nothing and are left out.
func Compute(in ReportInput) Report {
	region := in.Region
	if region == nil {
		region = func(string) string { return "" }
	}
	type first struct {
		a     Answer
		delay time.Duration
	}
	perCase := map[[2]int64]first{} // case, alert
	perAlert := map[int64]first{}
	titles := map[int64]string{}
	for _, a := range in.Answers {
		d := a.ActionAt.Sub(a.FiredAt)
		if d < 0 {
			continue
		}
		titles[a.CaseID] = a.CaseTitle
		k := [2]int64{a.CaseID, a.AlertID}
		if f, ok := perCase[k]; !ok || earlier(a, d, f.a, f.delay) {
			perCase[k] = first{a, d}
		}
		if f, ok := perAlert[a.AlertID]; !ok || earlier(a, d, f.a, f.delay) {
			perAlert[a.AlertID] = first{a, d}
		}
	}
	byCase := map[string][]time.Duration{}
	for k, f := range perCase {
		key := strconv.FormatInt(k[0], 10)
		byCase[key] = append(byCase[key], f.delay)
	}
	var all []time.Duration
	byOffice, byRegion, byQuarter := map[string][]time.Duration{}, map[string][]time.Duration{}, map[string][]time.Duration{}
	for _, f := range perAlert {
		all = append(all, f.delay)
		byOffice[f.a.LeadOffice] = append(byOffice[f.a.LeadOffice], f.delay)
		r := region(f.a.Country)
		byRegion[r] = append(byRegion[r], f.delay)
		q := Quarter(f.a.FiredAt)
		byQuarter[q] = append(byQuarter[q], f.delay)
	}
	rep := Report{
		GeneratedAt:         in.Now,
		Overall:             summarise("all", all),
		ByCase:              summaries(byCase, func(a, b string) int { return cmp.Compare(atoi(a), atoi(b)) }),
		ByOffice:            summaries(byOffice, cmp.Compare[string]),
		ByRegion:            summaries(byRegion, cmp.Compare[string]),
		ByQuarter:           summaries(byQuarter, cmp.Compare[string]),
		UnansweredAfterDays: days(in.UnansweredAfter),
		Unanswered:          []Warning{},
	}
	for i := range rep.ByCase {
		rep.ByCase[i].Title = titles[atoi(rep.ByCase[i].Key)]
	}
	for _, w := range in.Unanswered {
		w.AgeDays = math.Round(days(in.Now.Sub(w.FiredAt))*100) / 100
		rep.Unanswered = append(rep.Unanswered, w)
	}
	slices.SortStableFunc(rep.Unanswered, func(a, b Warning) int {
		return cmp.Or(a.FiredAt.Compare(b.FiredAt), cmp.Compare(a.AlertID, b.AlertID))
	})
	return rep
}

// earlier orders answers by delay, then by action id, so that ties pick
// the same action whatever the input order.
func earlier(a Answer, d time.Duration, b Answer, e time.Duration) bool {
	return d < e || (d == e && a.ActionID < b.ActionID)
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func summaries(m map[string][]time.Duration, order func(a, b string) int) []Summary {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, order)
	out := make([]Summary, 0, len(keys))
	for _, k := range keys {
		out = append(out, summarise(k, m[k]))
	}
	return out
}

func summarise(key string, ds []time.Duration) Summary {
	s := Summary{Key: key, Count: len(ds)}
	if len(ds) == 0 {
		return s
	}
	s.Median, s.P90 = Median(ds), Percentile(ds, 90)
	s.MedianDays, s.P90Days = days(s.Median), days(s.P90)
	return s
}

func days(d time.Duration) float64 { return d.Hours() / 24 }

// Median is the middle of ds, or the mean of the two middle values when
// their number is even; 0 for none. ds is not changed.
func Median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return s[n/2]
	}
	return s[n/2-1] + (s[n/2]-s[n/2-1])/2
}

// Percentile is the p-th percentile of ds by the nearest-rank method: the
// smallest value that at least p% of the values are at or below (the
// ⌈p/100·n⌉-th smallest); 0 for none. ds is not changed.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// Regions returns the Region function of Options over a country table:
// a country's UN M49 region ("Africa"), "" for codes it does not know.
func Regions(t *geo.Table) func(iso3 string) string {
	return func(iso3 string) string {
		c, _ := t.Lookup(iso3)
		return c.Region
	}
}

// Quarter names the calendar quarter of t (UTC): "2013-Q2".
func Quarter(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
}
