package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"threshold/internal/app"
	"threshold/internal/auth"
	"threshold/internal/event"
	"threshold/internal/forecast"
	"threshold/internal/geo"
	"threshold/internal/indicator"
	"threshold/internal/server"
	"threshold/internal/store"
	"threshold/internal/web"
	"threshold/internal/web/webtest"
)

// quickGBT keeps the production run cheap in tests, as the forecast
// package's backtest tests do; everything else is the production code.
var quickGBT = forecast.GBTConfig{Trees: 20, Depth: 2, LearningRate: 0.1, Lambda: 1, MinHessian: 5, Bins: 16, Subsample: 1, Seed: 1}

// forecastSite is the webtest site with Deps.Forecasts set.
type forecastSite struct {
	*webtest.Site
	URL string
}

// startForecastSite starts the CAR sample site with the month indicators
// computed and, when store is true, the forecasts forecast.MonthlyRun
// makes from them: 1 month ahead at every month end from December 2021
// to November 2022 (the history), and 1 to 6 months ahead at the data's
// last month, December 2022, for the country and its provinces.
func startForecastSite(t *testing.T, stored bool) *forecastSite {
	t.Helper()
	base := webtest.Start(t)
	ctx := context.Background()
	if _, err := indicator.NewUpdater(base.DB).Recompute(ctx, nil, time.Time{}, time.Time{}); err != nil {
		t.Fatalf("recompute indicators: %v", err)
	}
	if stored {
		for m := 0; m <= 11; m++ {
			cutoff := time.Date(2022, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC)
			storeRun(t, base.DB, forecast.CountryMonth, cutoff, []int{1})
		}
		storeRun(t, base.DB, forecast.CountryMonth, time.Time{}, []int{1, 2, 3, 4, 5, 6})
		storeRun(t, base.DB, forecast.Admin1Month, time.Time{}, []int{1})
	}
	g, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	routes := &server.Routes{}
	if err := web.Register(routes, web.Deps{Data: base.DB, Auth: base.Auth, Admin: base.Auth, Geo: g,
		Forecasts: base.DB, Now: func() time.Time { return webtest.Now }}); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Routes: routes, Auth: testAuthn{base.Auth}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	site := *base
	site.URL = hs.URL
	return &forecastSite{Site: &site, URL: hs.URL}
}

// testAuthn is the auth service as the server's middleware uses it.
type testAuthn struct{ *auth.Service }

func (testAuthn) CheckCSRF(p *auth.Principal, token string) error { return auth.CheckCSRF(p, token) }

// storeRun runs the production forecasts of every monthly target for unit
// on the data up to cutoff (zero: all) and stores them as threshold
// forecast run does.
func storeRun(t *testing.T, db *store.DB, unit forecast.Unit, cutoff time.Time, horizons []int) {
	t.Helper()
	ctx := context.Background()
	mp, err := app.MonthlyPanel(ctx, db, unit, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []forecast.Target{forecast.Active, forecast.Onset, forecast.Fatalities} {
		_, err := app.StoreMonthlyForecasts(ctx, db, mp, forecast.RunOptions{Target: target, Horizons: horizons, GBT: quickGBT,
			MaxTrain: 3000, Seed: 1, Now: webtest.Now})
		if err != nil {
			t.Fatalf("forecast run %s %s to %s: %v", unit, target, cutoff.Format(time.DateOnly), err)
		}
	}
}

func getPage(t *testing.T, site *forecastSite, role auth.Role, path string) page {
	t.Helper()
	c := site.Client(t)
	if role != "" {
		site.SignIn(t, c, role)
	}
	return get(t, c, site.URL+path)
}

func TestForecastPages(t *testing.T) {
	site := startForecastSite(t, true)
	ctx := context.Background()
	stored, err := site.DB.Forecasts(ctx, store.ForecastQuery{Country: "CAF", Unit: "country-month", Target: "active", Latest: true})
	if err != nil {
		t.Fatal(err)
	}
	var next store.Forecast
	for _, f := range stored {
		if f.Horizon == 1 {
			next = f
		}
	}
	if next.Country == "" {
		t.Fatal("the run stored no 1-month-ahead active forecast for CAF")
	}
	var factor struct {
		Text string `json:"text"`
	}
	var factors []json.RawMessage
	if err := json.Unmarshal(next.Factors, &factors); err != nil || len(factors) == 0 {
		t.Fatalf("stored factors %s: %v", next.Factors, err)
	}
	if err := json.Unmarshal(factors[0], &factor); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		role     auth.Role
		path     string
		contains []string
		lacks    []string
	}{
		{"map layer", auth.Analyst, "/?layer=forecast&target=active", []string{
			"Forecast probability of active next month",
			"model " + forecast.MonthlyModelVersion + "; data cut-off 31 Dec 2022",
			fmt.Sprintf(`<a href="/countries/CAF" class="%s"><title>Central African Republic: %s probability, Jan 2023</title>`,
				probClass(next.Probability), pct(next.Probability)),
			`<option value="active" selected>active</option>`,
			`<input type="radio" name="layer" value="forecast" checked>`,
		}, []string{"No forecasts of active 1 month ahead are stored"}},
		{"map layer without forecasts of a target", auth.Analyst, "/?layer=forecast&target=onset", []string{
			"Forecast probability of onset next month",
			"No forecasts of onset 1 month ahead are stored yet",
			"<code>threshold forecast run</code>",
		}, nil},
		{"map without the layer", auth.Analyst, "/", []string{
			`<input type="radio" name="layer" value="violence" checked>`,
			"Fatalities (best estimate)",
		}, []string{"Forecast probability"}},
		{"country page", auth.PartnerViewer, "/countries/CAF", []string{
			`<h2 id="forecast-title">Forecasts</h2>`,
			"data cut-off 31 Dec 2022, model ensemble (" + forecast.MonthlyModelVersion + ")",
			"<li>" + htmlEscape(factor.Text) + "</li>",
			"80% interval",
			`id="forecast-areas"`,
			"Past forecasts and what happened: Active violence",
			`<svg class="chart forecast-history"`,
			`id="no-onset"`,
		}, []string{"No forecasts are stored for"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := getPage(t, site, tt.role, tt.path)
			p.want(t, tt.path, http.StatusOK, tt.contains...)
			for _, s := range tt.lacks {
				if strings.Contains(p.body, s) {
					t.Errorf("%s: page has %q", tt.path, s)
				}
			}
		})
	}

	t.Run("signed out", func(t *testing.T) {
		getPage(t, site, "", "/countries/CAF").wantRedirect(t, "signed out", "/login?next=%2Fcountries%2FCAF")
	})

	// The history table says what happened in each month of 2022 as the
	// event data has it: 25 or more deaths or not.
	t.Run("history outcomes", func(t *testing.T) {
		months, err := site.DB.Stats(ctx, store.CountryMonth, event.Filter{Country: "CAF",
			From: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		deaths := map[string]int{}
		for _, m := range months {
			deaths[m.Period] += m.Fatalities
		}
		body := getPage(t, site, auth.Analyst, "/countries/CAF").body
		i := strings.Index(body, "Active violence: 25 or more deaths in the month: forecast 1 month ahead")
		if i < 0 {
			t.Fatal("no history table for active")
		}
		table := body[i:]
		table = table[:strings.Index(table, "</table>")]
		row := regexp.MustCompile(`<tr><th scope="row">(\w{3} \d{4})</th><td>[^<]*</td><td class="num">[^<]*</td><td>([^<]*)</td></tr>`)
		rows := row.FindAllStringSubmatch(table, -1)
		if len(rows) != 13 {
			t.Fatalf("history of active: %d rows, want 13 (Jan 2022 to Jan 2023)", len(rows))
		}
		for _, r := range rows {
			m, err := time.Parse("Jan 2006", r[1])
			if err != nil {
				t.Fatal(err)
			}
			want := "no"
			switch {
			case m.Year() == 2023:
				want = "not known yet" // after the data's last month
			case deaths[m.Format("2006-01")] >= 25:
				want = "yes"
			}
			if r[2] != want {
				t.Errorf("%s: happened %q, want %q (%d deaths)", r[1], r[2], want, deaths[m.Format("2006-01")])
			}
		}
	})
}

// TestForecastPagesAbsent: with Deps.Forecasts set and nothing stored,
// the pages say how to produce forecasts; without Deps.Forecasts, they
// show no forecast at all (the golden pages of pages_test).
func TestForecastPagesAbsent(t *testing.T) {
	site := startForecastSite(t, false)
	tests := []struct {
		path     string
		contains []string
	}{
		{"/?layer=forecast", []string{"No forecasts of active 1 month ahead are stored yet", "<code>threshold forecast run</code>", "No forecast stored"}},
		{"/countries/CAF", []string{"No forecasts are stored for Central African Republic", "<code>threshold forecast run</code>"}},
	}
	for _, tt := range tests {
		getPage(t, site, auth.Analyst, tt.path).want(t, tt.path, http.StatusOK, tt.contains...)
	}
	plain := webtest.Start(t)
	c := plain.Client(t)
	plain.SignIn(t, c, auth.Analyst)
	for _, path := range []string{"/?layer=forecast", "/countries/CAF"} {
		p := get(t, c, plain.URL+path)
		p.want(t, path, http.StatusOK)
		if strings.Contains(p.body, "orecast") {
			t.Errorf("%s without Deps.Forecasts mentions forecasts", path)
		}
	}
}

// TestForecastGolden compares the forecast pages with their golden files.
func TestForecastGolden(t *testing.T) {
	site := startForecastSite(t, true)
	tests := []struct{ name, path string }{
		{"world_map_forecast", "/?layer=forecast&target=active"},
		{"country_CAF_forecast", "/countries/CAF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := site.Client(t)
			site.SignIn(t, c, auth.Analyst)
			resp, err := c.Get(site.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: status %d", tt.path, resp.StatusCode)
			}
			got := csrfValue.ReplaceAll(body, []byte(`name="csrf_token" value="CSRF"`))
			got = assetVersion.ReplaceAll(got, []byte(`?v=VERSION"`))
			golden(t, filepath.Join("testdata", tt.name+".golden.html"), got)
		})
	}
}

// pct and probClass restate the page's formatting and colour classes
// (web.formatProb, web.probClasses) for the tests' expectations.
func pct(p float64) string {
	switch pc := p * 100; {
	case pc < 0.1:
		return "&lt;0.1%"
	case pc > 99.9:
		return "&gt;99.9%"
	case pc < 10 || pc >= 99.5:
		return fmt.Sprintf("%.1f%%", pc)
	default:
		return fmt.Sprintf("%.0f%%", pc)
	}
}

func probClass(p float64) string {
	c := "c0"
	for i, min := range []float64{0.01, 0.05, 0.10, 0.25, 0.50} {
		if p >= min {
			c = fmt.Sprintf("c%d", i+1)
		}
	}
	return c
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
