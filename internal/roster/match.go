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
	countries []string
	regions   []string
	clearance int
	standby   bool
	busy      []busy       // sorted by start
	deployed  []Deployment // holding deployments, for fatigue
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
		c, ok := e.score(r, skills, places, start, yearAgo)
		if !ok {
			res.Excluded["no-expertise"]++
			continue
		}
		res.Candidates = append(res.Candidates, c)
	}
	slices.SortFunc(res.Candidates, func(a, b Candidate) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.FatigueDays, b.FatigueDays), cmp.Compare(a.PersonID, b.PersonID))
	})
	limit := r.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	res.Candidates = res.Candidates[:min(limit, len(res.Candidates))]
	for i := range res.Candidates {
		res.Candidates[i].Rank = i + 1
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
func (e *entry) score(r Request, skills []int, places []place, start, yearAgo time.Time) (Candidate, bool) {
	c := Candidate{PersonID: e.id, Name: e.name, Kind: e.kind, Reasons: make([]Reason, 0, 6)}
	if len(skills) > 0 {
		var sum float64
		var have, lack []string
		for k, i := range skills {
			lv := e.skills[i]
			sum += float64(lv) / 3
			if lv > 0 {
				have = append(have, fmt.Sprintf("%s %d/3", r.Skills[k], lv))
			} else {
				lack = append(lack, string(r.Skills[k]))
			}
		}
		if len(have) == 0 {
			return c, false
		}
		d := strings.Join(have, ", ")
		if len(lack) > 0 {
			d += "; lacks " + strings.Join(lack, ", ")
		}
		c.Reasons = append(c.Reasons, Reason{"expertise", skillWeight * sum / float64(len(skills)), d})
	}
	if len(r.Languages) > 0 {
		var sum float64
		var parts []string
		for _, code := range r.Languages {
			lv := Level("")
			for _, l := range e.langs {
				if l.Code == code {
					lv = l.Level
					break
				}
			}
			sum += lv.credit()
			if lv == "" {
				parts = append(parts, "no "+code)
			} else {
				parts = append(parts, code+" "+string(lv))
			}
		}
		c.Reasons = append(c.Reasons, Reason{"languages", languageWeight * sum / float64(len(r.Languages)), strings.Join(parts, ", ")})
	}
	if len(places) > 0 {
		var sum float64
		var parts []string
		for _, p := range places {
			switch {
			case slices.Contains(e.countries, p.iso3):
				sum += 1
				parts = append(parts, "knows "+p.iso3)
			case p.intermediate != "" && slices.Contains(e.regions, p.intermediate):
				sum += 0.6
				parts = append(parts, "knows "+p.intermediate)
			case p.subregion != "" && slices.Contains(e.regions, p.subregion):
				sum += 0.45
				parts = append(parts, "knows "+p.subregion)
			case p.region != "" && slices.Contains(e.regions, p.region):
				sum += 0.3
				parts = append(parts, "knows "+p.region)
			default:
				parts = append(parts, "no experience near "+p.iso3)
			}
		}
		c.Reasons = append(c.Reasons, Reason{"region", regionWeight * sum / float64(len(places)), strings.Join(parts, ", ")})
	}
	avail := "free for the whole window"
	for _, b := range e.busy {
		if b.start.After(start) {
			avail += fmt.Sprintf("; next commitment from %s", b.start.Format(time.DateOnly))
			break
		}
	}
	c.Reasons = append(c.Reasons, Reason{"availability", 0, avail})
	if e.standby {
		c.Reasons = append(c.Reasons, Reason{"standby", standbyBonus, "standby contract: deployable within 72 hours"})
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
	c.Reasons = append(c.Reasons, Reason{"fatigue", -fatigueWeight * float64(min(c.FatigueDays, fatigueCap)) / fatigueCap,
		fmt.Sprintf("%d days deployed in the 12 months before the start", c.FatigueDays)})
	for _, x := range c.Reasons {
		c.Score += x.Points
	}
	c.Score = math.Round(c.Score*100) / 100
	return c, true
}
