package roster

import (
	"slices"
	"testing"
	"time"

	"threshold/internal/casework"
	"threshold/internal/geo"
)

func loadGeo(t testing.TB) *geo.Table {
	t.Helper()
	g, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// background countries: none in Western Africa, so that the planted
// people's regional experience stands out.
var background = []string{"COL", "MEX", "PHL", "MMR", "UKR", "GEO", "YEM", "SYR", "SSD", "SDN", "CAF", "COD"}

// TestMatchQuality plants people with known scores in a seeded synthetic
// roster whose members cannot outscore them (levels at most 2, no
// standby, no West African experience), and checks the ranking and the
// exclusions against the answers worked out by hand from the weights.
func TestMatchQuality(t *testing.T) {
	g := loadGeo(t)
	people := syntheticRoster(2000, 7, 2, background)
	best := Person{Name: "Synthetic Best", Kind: MediationExpert, Clearance: casework.Confidential, Contract: Standby,
		Expertise: []Expertise{{PowerSharing, 3}, {SecurityArrangements, 3}},
		Languages: []Language{{"fr", C2}, {"en", Native}}, Countries: []string{"MLI"}}
	twin := func(name string, change func(*Person)) Person {
		p := best
		p.Name = name
		p.Expertise, p.Languages, p.Countries = slices.Clone(best.Expertise), slices.Clone(best.Languages), slices.Clone(best.Countries)
		change(&p)
		return p
	}
	planted := []Person{
		best,
		twin("Synthetic Neighbour", func(p *Person) { p.Countries = []string{"NER"} }), // sub-region: 15×0.6
		twin("Synthetic Tired", func(p *Person) { // 180 days in the last year: −10
			p.Deployments = []Deployment{{ID: 1, Start: date("2024-06-01"), Days: 180, Status: Completed}}
		}),
		twin("Synthetic Busy", func(p *Person) {
			p.Deployments = []Deployment{{ID: 2, Start: date("2025-04-20"), Days: 30, Status: Requested}}
		}),
		twin("Synthetic Away", func(p *Person) {
			p.Unavailable = []Period{{Start: date("2025-03-25"), End: date("2025-04-02")}}
		}),
		twin("Synthetic Uncleared", func(p *Person) { p.Clearance = casework.Internal }),
		twin("Synthetic Rejected Before", func(p *Person) { // a rejected deployment holds nothing
			p.Deployments = []Deployment{{ID: 3, Start: date("2025-04-01"), Days: 30, Status: Rejected}}
			p.Contract = Consultant
		}),
	}
	for i := range planted {
		if err := planted[i].Normalize(g); err != nil {
			t.Fatal(err)
		}
		planted[i].ID = int64(100000 + i)
		people = append(people, planted[i])
	}
	ix := NewIndex(people, g)
	res := ix.Match(Request{Skills: []Area{PowerSharing, SecurityArrangements}, Languages: []string{"fr"},
		Start: date("2025-04-01"), Days: 30, Countries: []string{"MLI"}, Level: casework.Confidential, Limit: 10})
	want := []struct {
		name  string
		score float64
	}{
		{"Synthetic Best", 100},
		{"Synthetic Neighbour", 94},
		{"Synthetic Rejected Before", 90}, // no standby bonus
		{"Synthetic Tired", 90},           // same score, more fatigue: after
	}
	if len(res.Candidates) < len(want) {
		t.Fatalf("%d candidates, want at least %d", len(res.Candidates), len(want))
	}
	for i, w := range want {
		c := res.Candidates[i]
		if c.Name != w.name || c.Score != w.score || c.Rank != i+1 {
			t.Errorf("rank %d = %s (%.2f), want %s (%.2f); reasons %+v", i+1, c.Name, c.Score, w.name, w.score, c.Reasons)
		}
	}
	if next := res.Candidates[len(want)]; next.Score >= 90 {
		t.Errorf("a background person scores %.2f: %+v", next.Score, next)
	}
	for _, c := range res.Candidates {
		for _, n := range []string{"Synthetic Busy", "Synthetic Away", "Synthetic Uncleared"} {
			if c.Name == n {
				t.Errorf("%s is ranked %d, want excluded", n, c.Rank)
			}
		}
	}
	if res.Considered != len(people) || res.Excluded["busy"] == 0 || res.Excluded["unavailable"] == 0 ||
		res.Excluded["clearance"] == 0 || res.Excluded["no-expertise"] == 0 {
		t.Errorf("considered %d (want %d), excluded %v", res.Considered, len(people), res.Excluded)
	}
	factors := map[string]bool{}
	for _, r := range res.Candidates[0].Reasons {
		factors[r.Factor] = true
	}
	for _, f := range []string{"expertise", "languages", "region", "availability", "standby", "fatigue"} {
		if !factors[f] {
			t.Errorf("the best candidate has no %s reason: %+v", f, res.Candidates[0].Reasons)
		}
	}
	if tired := res.Candidates[3]; tired.FatigueDays != 180 {
		t.Errorf("tired fatigue = %d days, want 180", tired.FatigueDays)
	}
}

// TestMatchNeverRanksTheHeld checks, over a seeded synthetic roster and
// many windows, that no candidate is held or away in the window and
// that the ranking is by score.
func TestMatchNeverRanksTheHeld(t *testing.T) {
	g := loadGeo(t)
	people := syntheticRoster(1500, 11, 3, background)
	ix := NewIndex(people, g)
	byID := map[int64]Person{}
	for _, p := range people {
		byID[p.ID] = p
	}
	for k := range 40 {
		r := Request{Skills: []Area{Areas()[k%8], Areas()[(k*3+1)%8]}, Languages: []string{"fr", "ar"},
			Start: date("2024-09-01").AddDate(0, 0, k*9), Days: 5 + k, Countries: []string{background[k%len(background)]},
			Limit: 1000}
		res := ix.Match(r)
		if len(res.Candidates) == 0 {
			t.Fatalf("window %d: no candidates", k)
		}
		for i, c := range res.Candidates {
			p := byID[c.PersonID]
			for _, d := range p.Deployments {
				if d.Status.Holds() && overlaps(r.Start, r.End(), d.Start, d.End()) {
					t.Fatalf("window %d: %s ranked %d although held by deployment %d", k, p.Name, c.Rank, d.ID)
				}
			}
			for _, u := range p.Unavailable {
				if overlaps(r.Start, r.End(), u.Start, u.End) {
					t.Fatalf("window %d: %s ranked %d although unavailable", k, p.Name, c.Rank)
				}
			}
			if i > 0 && c.Score > res.Candidates[i-1].Score {
				t.Fatalf("window %d: rank %d scores %.2f above rank %d's %.2f", k, c.Rank, c.Score, i, res.Candidates[i-1].Score)
			}
		}
	}
}

// BenchmarkMatch ranks a seeded synthetic roster of 10,000 people for a
// two-skill, two-language request (the index built once, as the
// service does per request from one read of the roster).
func BenchmarkMatch(b *testing.B) {
	g := loadGeo(b)
	ix := NewIndex(syntheticRoster(10000, 1, 3, background), g)
	r := Request{Skills: []Area{PowerSharing, Elections}, Languages: []string{"fr", "ar"}, Start: date("2025-03-01"),
		Days: 30, Countries: []string{"CAF", "TCD"}, Level: casework.Internal}
	b.ResetTimer()
	for b.Loop() {
		if res := ix.Match(r); len(res.Candidates) == 0 {
			b.Fatal("no candidates")
		}
	}
}

// BenchmarkNewIndex prepares 10,000 synthetic people for matching.
func BenchmarkNewIndex(b *testing.B) {
	g := loadGeo(b)
	people := syntheticRoster(10000, 1, 3, background)
	b.ResetTimer()
	for b.Loop() {
		NewIndex(people, g)
	}
}
