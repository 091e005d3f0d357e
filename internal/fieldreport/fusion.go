package fieldreport

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"threshold/internal/event"
)

// Fusion are the matching window and threshold. The zero value takes the
// defaults.
type Fusion struct {
	MaxKm    float64 // coordinates within this distance match (default 25 km)
	Days     int     // dates within this many days match (default 7)
	MinScore float64 // links scoring below are dropped (default 0.5)
	Max      int     // at most this many links of each kind, best first (default 5)
}

func (f Fusion) withDefaults() Fusion {
	if f.MaxKm <= 0 {
		f.MaxKm = 25
	}
	if f.Days <= 0 {
		f.Days = 7
	}
	if f.MinScore <= 0 {
		f.MinScore = 0.5
	}
	if f.Max <= 0 {
		f.Max = 5
	}
	return f
}

// Candidate is an event or report fusion compares a report with.
type Candidate struct {
	Event    event.Key // zero for a report
	Report   int64     // 0 for an event
	Country  string
	Admin1   string
	Place    string
	Lat, Lon *float64
	Date     time.Time // first day
	DateEnd  time.Time // last day; zero is Date
	Category event.Category
}

// Family groups categories that a witness and a data set may name
// differently for the same incident.
func Family(c event.Category) string {
	switch c {
	case event.Battle, event.ViolenceAgainstCivilians, event.ExplosionRemoteViolence:
		return "organised-violence"
	case event.Riot, event.Protest:
		return "unrest"
	case event.DiplomaticConflict, event.DiplomaticCooperation:
		return "diplomatic"
	}
	return string(c)
}

// Match scores candidates against r and returns the links, best first:
// events and reports each at most f.Max, scoring at least f.MinScore.
// A candidate must be in r's country, in the same category family, within
// f.Days days, and either within f.MaxKm of r's coordinates (both having
// them) or in the same admin-1 area. The score weighs place 0.5, date 0.3
// and category 0.2:
//
//	place: within MaxKm, 1 - 0.5·d/MaxKm (so 0.5..1); else same admin-1,
//	       0.6, or 0.8 with the same place name
//	date:  1 - days apart/(Days+1)
//	category: 1 the same, 0.6 the same family
func Match(r Report, cands []Candidate, f Fusion) []Link {
	f = f.withDefaults()
	var evs, reps []Link
	for _, c := range cands {
		if c.Report == r.ID && c.Report != 0 {
			continue
		}
		l, ok := score(r, c, f)
		if !ok || l.Score < f.MinScore {
			continue
		}
		if c.Report != 0 {
			reps = append(reps, l)
		} else {
			evs = append(evs, l)
		}
	}
	best := func(ls []Link) []Link {
		slices.SortStableFunc(ls, func(a, b Link) int {
			if a.Score != b.Score {
				if a.Score > b.Score {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Event, b.Event)
		})
		return ls[:min(len(ls), f.Max)]
	}
	return append(best(evs), best(reps)...)
}

func score(r Report, c Candidate, f Fusion) (Link, bool) {
	if c.Country != r.Country || Family(c.Category) != Family(r.Category) {
		return Link{}, false
	}
	end := c.DateEnd
	if end.IsZero() || end.Before(c.Date) {
		end = c.Date
	}
	var apart int
	switch {
	case r.Date.Before(c.Date):
		apart = int(c.Date.Sub(r.Date).Hours() / 24)
	case r.Date.After(end):
		apart = int(r.Date.Sub(end).Hours() / 24)
	}
	if apart > f.Days {
		return Link{}, false
	}
	var (
		place  float64
		reason []string
	)
	sameAdmin := r.Admin1 != "" && strings.EqualFold(strings.TrimSpace(r.Admin1), strings.TrimSpace(c.Admin1))
	samePlace := r.Place != "" && strings.EqualFold(strings.TrimSpace(r.Place), strings.TrimSpace(c.Place))
	if r.Latitude != nil && c.Lat != nil {
		d := Distance(*r.Latitude, *r.Longitude, *c.Lat, *c.Lon)
		if d <= f.MaxKm {
			place = 1 - 0.5*d/f.MaxKm
			reason = append(reason, fmt.Sprintf("%.1f km apart", d))
		}
	}
	if place == 0 && sameAdmin {
		place = 0.6
		reason = append(reason, "same admin-1 "+c.Admin1)
		if samePlace {
			place = 0.8
			reason = append(reason, "same place "+c.Place)
		}
	}
	if place == 0 {
		return Link{}, false
	}
	date := 1 - float64(apart)/float64(f.Days+1)
	if apart == 0 {
		reason = append(reason, "same dates")
	} else {
		reason = append(reason, fmt.Sprintf("%d days apart", apart))
	}
	cat := 0.6
	if c.Category == r.Category {
		cat = 1
		reason = append(reason, "same category "+string(c.Category))
	} else {
		reason = append(reason, "related categories "+string(r.Category)+"/"+string(c.Category))
	}
	s := math.Round((0.5*place+0.3*date+0.2*cat)*1000) / 1000
	l := Link{Score: s, Reason: strings.Join(reason, ", ")}
	if c.Report != 0 {
		l.Report = c.Report
	} else {
		l.Event = c.Event.String()
	}
	return l, true
}

// Distance is the great-circle distance in km between two WGS84 points.
func Distance(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0088
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}
