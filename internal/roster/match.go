package roster

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"threshold/internal/casework"
	"threshold/internal/geo"
)

// Request is the profile a case needs.
type Request struct {
	CaseID    int64                    `json:"case_id"`
	Skills    []Area                   `json:"skills"`
	Languages []string                 `json:"languages"` // ISO 639 codes
	Start     time.Time                `json:"start"`
	Days      int                      `json:"days"`
	Limit     int                      `json:"limit"` // 0: DefaultLimit
	Kinds     []Kind                   `json:"kinds,omitempty"`
	Countries []string                 `json:"countries,omitempty"`       // the case's, filled by the Service
	Level     casework.Confidentiality `json:"confidentiality,omitempty"` // the case's, filled by the Service
}

// DefaultLimit is how many candidates Match returns by default.
const DefaultLimit = 20

// End is the requested window's last day.
func (r Request) End() time.Time { return r.Start.AddDate(0, 0, r.Days-1) }

// The weights of the score (see the package doc).
const (
	skillWeight    = 50.0
	languageWeight = 25.0
	regionWeight   = 15.0
	standbyBonus   = 10.0
	fatigueWeight  = 10.0
	fatigueCap     = 180
)

// Reason is one factor of a candidate's score.
type Reason struct {
	Factor string  `json:"factor"` // expertise, languages, region, availability, standby, fatigue
	Points float64 `json:"points"`
	Detail string  `json:"detail"`
}

// Candidate is one ranked person.
type Candidate struct {
	Rank        int      `json:"rank"`
	PersonID    int64    `json:"person_id"`
	Name        string   `json:"name"`
	Kind        Kind     `json:"kind"`
	Score       float64  `json:"score"`
	FatigueDays int      `json:"fatigue_days"`
	Reasons     []Reason `json:"reasons"`
}

// Result is a ranking: the candidates, best first, and how many people
// were considered and why the others were left out.
type Result struct {
	Request    Request        `json:"request"`
	Candidates []Candidate    `json:"candidates"`
	Considered int            `json:"considered"`
	Excluded   map[string]int `json:"excluded"` // by reason: busy, unavailable, clearance, no-expertise, kind
}

// busy is a window in which a person is held.
type busy struct {
	start, end time.Time
	away       bool // an unavailable period, not a deployment
}

// entry is one person as the index holds them.
type entry struct {
	id        int64
	name      string
	kind      Kind
	skills    [8]uint8
	langs     []Language
	credits   []float64 // of each language, as scored
	countries []string
	regions   []string
	clearance int
	standby   bool
	busy      []busy       // sorted by start
	deployed  []Deployment // approved, active and completed deployments, for fatigue
}

// Index is a roster prepared for matching. Build it once with NewIndex;
// it is read-only and safe for concurrent use.
type Index struct {
	people []entry
	geo    *geo.Table
}

// NewIndex prepares people (with their Unavailable periods and
// Deployments) for matching; g is the country table.
func NewIndex(people []Person, g *geo.Table) *Index {
	ix := &Index{people: make([]entry, 0, len(people)), geo: g}
	for _, p := range people {
		e := entry{id: p.ID, name: p.Name, kind: p.Kind, langs: p.Languages, countries: p.Countries,
			regions: p.Regions, clearance: slices.Index(casework.Levels(), p.Clearance), standby: p.Contract == Standby}
		for _, l := range p.Languages {
			e.credits = append(e.credits, l.Level.credit())
		}
		for _, x := range p.Expertise {
			if i := areaIndex(x.Area); i >= 0 {
				e.skills[i] = uint8(x.Level)
			}
		}
		for _, u := range p.Unavailable {
			e.busy = append(e.busy, busy{start: u.Start, end: u.End, away: true})
		}
		for _, d := range p.Deployments {
			if d.Status.Holds() {
				e.busy = append(e.busy, busy{start: d.Start, end: d.End()})
			}
			if d.Status.Holds() && d.Status != Requested { // fatigue counts what was approved
				e.deployed = append(e.deployed, d)
			}
		}
		slices.SortFunc(e.busy, func(a, b busy) int { return a.start.Compare(b.start) })
		ix.people = append(ix.people, e)
	}
	return ix
}

// Len is how many people the index holds.
func (ix *Index) Len() int { return len(ix.people) }

// place is one of the case's countries as matching uses it.
type place struct{ iso3, intermediate, subregion, region string }

// Match ranks the people of the index for r (see the package doc).
func (ix *Index) Match(r Request) Result {
	res := Result{Request: r, Candidates: []Candidate{}, Excluded: map[string]int{}}
	start, end := Day(r.Start), Day(r.End())
	var skills []int
	for _, a := range r.Skills {
		if i := areaIndex(a); i >= 0 {
			skills = append(skills, i)
		}
	}
	var places []place
	for _, cc := range r.Countries {
		p := place{iso3: cc}
		if c, ok := ix.geo.Lookup(cc); ok {
			p.intermediate, p.subregion, p.region = c.IntermediateRegion, c.Subregion, c.Region
		}
		places = append(places, p)
	}
	level := slices.Index(casework.Levels(), r.Level)
	yearAgo := start.AddDate(-1, 0, 0)
	var (
		scored []Candidate // without reasons
		index  []int       // of each in ix.people
	)
	for i := range ix.people {
		e := &ix.people[i]
		res.Considered++
		if len(r.Kinds) > 0 && !slices.Contains(r.Kinds, e.kind) {
			res.Excluded["kind"]++
			continue
		}
		if level > e.clearance {
			res.Excluded["clearance"]++
			continue
		}
		if b, ok := e.blocked(start, end); ok {
			if b.away {
				res.Excluded["unavailable"]++
			} else {
				res.Excluded["busy"]++
			}
			continue
		}
		c, ok := e.score(r, skills, places, start, yearAgo, false)
		if !ok {
			res.Excluded["no-expertise"]++
			continue
		}
		scored = append(scored, c)
		index = append(index, i)
	}
	order := make([]int, len(scored))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := scored[i], scored[j]
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.FatigueDays, b.FatigueDays), cmp.Compare(a.PersonID, b.PersonID))
	})
	limit := r.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	for rank, k := range order[:min(limit, len(order))] {
		c, _ := ix.people[index[k]].score(r, skills, places, start, yearAgo, true)
		c.Rank = rank + 1
		res.Candidates = append(res.Candidates, c)
	}
	return res
}

// blocked returns the first busy window overlapping [start, end].
func (e *entry) blocked(start, end time.Time) (busy, bool) {
	for _, b := range e.busy {
		if b.start.After(end) {
			break
		}
		if overlaps(start, end, b.start, b.end) {
			return b, true
		}
	}
	return busy{}, false
}

// score scores e for r; false if e has none of the requested skills.
// Only with explain are the reasons' details written: Match scores
// everyone, then explains the few it returns.
func (e *entry) score(r Request, skills []int, places []place, start, yearAgo time.Time, explain bool) (Candidate, bool) {
	c := Candidate{PersonID: e.id, Name: e.name, Kind: e.kind}
	if explain {
		c.Reasons = make([]Reason, 0, 6)
	}
	add := func(factor string, points float64, detail func() string) {
		c.Score += points
		if explain {
			c.Reasons = append(c.Reasons, Reason{factor, points, detail()})
		}
	}
	if len(skills) > 0 {
		var sum float64
		for _, i := range skills {
			sum += float64(e.skills[i]) / 3
		}
		if sum == 0 {
			return c, false
		}
		add("expertise", skillWeight*sum/float64(len(skills)), func() string {
			var have, lack []string
			for k, i := range skills {
				if lv := e.skills[i]; lv > 0 {
					have = append(have, fmt.Sprintf("%s %d/3", r.Skills[k], lv))
				} else {
					lack = append(lack, string(r.Skills[k]))
				}
			}
			d := strings.Join(have, ", ")
			if len(lack) > 0 {
				d += "; lacks " + strings.Join(lack, ", ")
			}
			return d
		})
	}
	if len(r.Languages) > 0 {
		level := func(code string) Level {
			for _, l := range e.langs {
				if l.Code == code {
					return l.Level
				}
			}
			return ""
		}
		var sum float64
		for _, code := range r.Languages {
			for k, l := range e.langs {
				if l.Code == code {
					sum += e.credits[k]
					break
				}
			}
		}
		add("languages", languageWeight*sum/float64(len(r.Languages)), func() string {
			var parts []string
			for _, code := range r.Languages {
				if lv := level(code); lv == "" {
					parts = append(parts, "no "+code)
				} else {
					parts = append(parts, code+" "+string(lv))
				}
			}
			return strings.Join(parts, ", ")
		})
	}
	if len(places) > 0 {
		var sum float64
		var parts []string
		for _, p := range places {
			credit, known := 0.0, ""
			switch {
			case slices.Contains(e.countries, p.iso3):
				credit, known = 1, p.iso3
			case p.intermediate != "" && slices.Contains(e.regions, p.intermediate):
				credit, known = 0.6, p.intermediate
			case p.subregion != "" && slices.Contains(e.regions, p.subregion):
				credit, known = 0.45, p.subregion
			case p.region != "" && slices.Contains(e.regions, p.region):
				credit, known = 0.3, p.region
			}
			sum += credit
			if explain && known != "" {
				parts = append(parts, "knows "+known)
			} else if explain {
				parts = append(parts, "no experience near "+p.iso3)
			}
		}
		add("region", regionWeight*sum/float64(len(places)), func() string { return strings.Join(parts, ", ") })
	}
	add("availability", 0, func() string {
		avail := "free for the whole window"
		for _, b := range e.busy {
			if b.start.After(start) {
				avail += "; next commitment from " + b.start.Format(time.DateOnly)
				break
			}
		}
		return avail
	})
	if e.standby {
		add("standby", standbyBonus, func() string { return "standby contract: deployable within 72 hours" })
	}
	for _, d := range e.deployed {
		s, en := d.Start, d.End()
		if s.Before(yearAgo) {
			s = yearAgo
		}
		if last := start.AddDate(0, 0, -1); en.After(last) {
			en = last
		}
		if !en.Before(s) {
			c.FatigueDays += int(en.Sub(s).Hours()/24) + 1
		}
	}
	fatigue := 0.0 // not -0
	if c.FatigueDays > 0 {
		fatigue = -fatigueWeight * float64(min(c.FatigueDays, fatigueCap)) / fatigueCap
	}
	add("fatigue", fatigue, func() string {
		return fmt.Sprintf("%d days deployed in the 12 months before the start", c.FatigueDays)
	})
	c.Score = math.Round(c.Score*100) / 100
	return c, true
}
