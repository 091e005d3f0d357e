package roster

import (
	"fmt"
	"math/rand/v2"
	"time"

	"threshold/internal/casework"
)

// syntheticRoster returns n made-up people ("Synthetic Person i"), drawn
// from a seeded generator: nobody in it is real. Their expertise levels
// are at most maxLevel, none is on a standby contract, and about a
// third have deployments or unavailable periods around 2025.
func syntheticRoster(n int, seed uint64, maxLevel int, countries []string) []Person {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	langs := []string{"en", "fr", "ar", "es", "ru", "pt", "sw", "zh"}
	contracts := []Contract{StaffContract, Consultant, Secondment, ProBono}
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	out := make([]Person, n)
	for i := range out {
		p := Person{ID: int64(i + 1), Name: fmt.Sprintf("Synthetic Person %d", i+1), Kind: Kinds()[r.IntN(3)],
			Clearance: casework.Levels()[1+r.IntN(3)], Contract: contracts[r.IntN(len(contracts))]}
		for _, a := range Areas() {
			if r.IntN(3) == 0 {
				p.Expertise = append(p.Expertise, Expertise{Area: a, Level: 1 + r.IntN(maxLevel)})
			}
		}
		for _, l := range langs {
			if r.IntN(3) == 0 {
				p.Languages = append(p.Languages, Language{Code: l, Level: Levels()[r.IntN(len(Levels()))]})
			}
		}
		for range 1 + r.IntN(4) {
			p.Countries = append(p.Countries, countries[r.IntN(len(countries))])
		}
		for range r.IntN(3) {
			s := base.AddDate(0, 0, r.IntN(540))
			if r.IntN(2) == 0 {
				p.Deployments = append(p.Deployments, Deployment{ID: int64(i*10 + len(p.Deployments) + 1), PersonID: p.ID,
					Start: s, Days: 5 + r.IntN(60), Status: Holding()[r.IntN(len(Holding()))]})
			} else {
				p.Unavailable = append(p.Unavailable, Period{Start: s, End: s.AddDate(0, 0, r.IntN(20))})
			}
		}
		out[i] = p
	}
	return out
}
