package web

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/event"
	"threshold/internal/geo"
	"threshold/internal/store"
	"threshold/internal/web/atlas"
)

// worldMap is the world map's geometry, projected once at start-up: each
// page view only picks colours.
type worldMap struct {
	Width, Height float64
	Outline       string // the map's edge: the sea, and the clip of the countries
	Shapes        []worldShape
}

type worldShape struct {
	ISO3 string // "" for shapes that are no country
	Name string // the geo table's name where known, else Natural Earth's
	Path string // SVG path data
}

// The world map's frame: Equal Earth, cropped below Tierra del Fuego and
// above Greenland.
var worldBox = atlas.Box{MinLon: -180, MinLat: -57, MaxLon: 180, MaxLat: 84}

func newWorldMap(a *atlas.Atlas, g *geo.Table) *worldMap {
	v := atlas.Fit(atlas.EqualEarth, worldBox, 1000, 100, 1000, 4)
	m := &worldMap{Width: v.Width, Height: math.Ceil(v.Height), Outline: v.Outline(worldBox)}
	for _, s := range a.Shapes {
		name := s.Name
		if c, ok := g.Lookup(s.ISO3); ok {
			name = c.Name
		}
		m.Shapes = append(m.Shapes, worldShape{ISO3: s.ISO3, Name: name, Path: v.Path(s.Polygons)})
	}
	// Keyboard users tab through the countries in alphabetical order.
	slices.SortFunc(m.Shapes, func(a, b worldShape) int { return strings.Compare(a.Name, b.Name) })
	return m
}

// The windows the map offers, in days.
var mapWindows = []int{30, 90, 365}

// Measures the map can shade by.
const (
	measureFatalities = "fatalities"
	measureEvents     = "events"
)

// class is one step of the colour scale.
type class struct {
	Name  string // CSS class: c0 (zero) .. c5, or nodata
	Label string // legend text
	Min   int    // smallest value in the class
}

// scale is the map's colour classes, lowest first: zero, then five steps
// roughly a factor of five apart, as violence spans orders of magnitude.
var scale = []class{
	{"c0", "0", 0},
	{"c1", "1–9", 1},
	{"c2", "10–49", 10},
	{"c3", "50–249", 50},
	{"c4", "250–999", 250},
	{"c5", "1,000 or more", 1000},
}

var noData = class{Name: "nodata", Label: "No events in the data"}

func classOf(n int) class {
	c := scale[0]
	for _, s := range scale {
		if n >= s.Min {
			c = s
		}
	}
	return c
}

type worldMapView struct {
	Map        *worldMap
	Countries  []mapCountry // one per shape, in shape order
	Ranked     []mapCountry // countries with events in the window, most affected first
	Scale      []class
	NoData     class
	Windows    []int
	Days       int
	End        string // "latest", "today" or "date"
	Measure    string
	FromDate   mapDate // the window's first day
	ToDate     mapDate // the window's last day
	Latest     mapDate // the latest event in the data; zero when there is none
	Today      mapDate
	Empty      bool   // the database holds no events at all
	Problem    string // why the chosen end date was ignored
	TotalValue int
	// Layers: forecasts can be shown (Deps.Forecasts is set), so the page
	// offers the layers; Layer is the one shown, violence or forecast.
	Layers bool
	Layer  string
	// Forecast is the forecast layer, nil when the violence layer is shown.
	Forecast *forecastLayer
}

// mapDate is a date with its display form, for templates.
type mapDate struct{ ISO, Text string }

type mapCountry struct {
	worldShape
	Class      class
	Events     int
	Fatalities int
	Value      int // Events or Fatalities, as measured
	HasData    bool
	Forecast   string // with the forecast layer: "12% probability, Jan 2023"; "" without a forecast
}

// worldMapPage is the home page: countries shaded by recent violence.
func (h *handler) worldMapPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	days, _ := strconv.Atoi(q.Get("days"))
	if !slices.Contains(mapWindows, days) {
		days = 90
	}
	// The window ends at the latest event, today, or on a chosen day.
	end := q.Get("end")
	var on time.Time
	var problem string
	switch end {
	case "today":
	case "date":
		var err error
		if on, err = parseDay("Ending on", q.Get("on")); err != nil || on.IsZero() {
			end, on, problem = "latest", time.Time{}, "Ending on: give a date like 2019-10-24; the map ends at the latest event instead."
		}
	default:
		end = "latest"
	}
	measure := q.Get("measure")
	if measure != measureEvents {
		measure = measureFatalities
	}

	cov, err := h.coverage(r.Context())
	if err != nil {
		return err
	}
	today := day(h.Now())
	to := cov.latest
	switch {
	case end == "date":
		to = on
	case end == "today" || to.IsZero():
		to = today
	}
	from := to.AddDate(0, 0, 1-days)
	periods, err := h.Data.Stats(r.Context(), store.CountryMonth, event.Filter{From: from, To: to})
	if err != nil {
		return err
	}
	type sums struct{ events, fatalities int }
	byCountry := map[string]sums{}
	for _, p := range periods {
		s := byCountry[p.Country]
		s.events += p.Events
		s.fatalities += p.Fatalities
		byCountry[p.Country] = s
	}

	v := worldMapView{
		Map: h.worldMap, Scale: scale, NoData: noData, Windows: mapWindows,
		Days: days, End: end, Measure: measure,
		FromDate: dateOf(from), ToDate: dateOf(to), Latest: dateOf(cov.latest), Today: dateOf(today),
		Empty: len(cov.countries) == 0, Problem: problem,
	}
	value := func(s sums) int {
		if measure == measureEvents {
			return s.events
		}
		return s.fatalities
	}
	for _, s := range h.worldMap.Shapes {
		c := mapCountry{worldShape: s, Class: noData}
		if s.ISO3 != "" && cov.countries[s.ISO3] {
			sm := byCountry[s.ISO3]
			c.HasData, c.Events, c.Fatalities, c.Value = true, sm.events, sm.fatalities, value(sm)
			c.Class = classOf(c.Value)
		}
		v.Countries = append(v.Countries, c)
	}
	// The ranking lists every country with events in the window, with or
	// without a shape on the map (small island states are missing at
	// 1:110m).
	for iso3, sm := range byCountry {
		name := iso3
		if c, ok := h.Geo.Lookup(iso3); ok {
			name = c.Name
		}
		v.Ranked = append(v.Ranked, mapCountry{
			worldShape: worldShape{ISO3: iso3, Name: name},
			Events:     sm.events, Fatalities: sm.fatalities, Value: value(sm), HasData: true,
			Class: classOf(value(sm)),
		})
		v.TotalValue += value(sm)
	}
	slices.SortFunc(v.Ranked, func(a, b mapCountry) int {
		return cmp.Or(cmp.Compare(b.Value, a.Value), cmp.Compare(a.Name, b.Name))
	})
	title := fmt.Sprintf("World map: %s in %d days to %s", measure, days, v.ToDate.Text)
	if h.Forecasts != nil {
		v.Layers, v.Layer = true, layerViolence
		if q.Get("layer") == layerForecast {
			if err := h.applyForecastLayer(r.Context(), q.Get("target"), &v); err != nil {
				return err
			}
			title = "World map: forecast probability of " + v.Forecast.Target + " next month"
		}
	}
	status := http.StatusOK
	if problem != "" {
		status = http.StatusBadRequest
	}
	h.render(w, r, status, "world_map", title, v)
	return nil
}

func dateOf(t time.Time) mapDate {
	if t.IsZero() {
		return mapDate{}
	}
	return mapDate{ISO: t.Format(time.DateOnly), Text: formatDate(t)}
}
