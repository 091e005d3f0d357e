package store_test

import (
	"cmp"
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/indicator"
	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

// gedCell is what the indicators of a cell must add up to, summed straight
// from a GED CSV.
type gedCell struct {
	events, violent, fatal int
	best, low, high        int
}

// sumGED sums the rows of a GED CSV whose country_id is gw by key(row).
func sumGED(t *testing.T, path string, gw string, key func(row map[string]string) string) map[string]gedCell {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]gedCell{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for i, h := range header {
			row[h] = rec[i]
		}
		if row["country_id"] != gw {
			continue
		}
		k := key(row)
		if k == "" {
			continue
		}
		atoi := func(s string) int {
			n, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			return n
		}
		c := out[k]
		c.events++
		c.violent++ // every GED event is violent
		b := atoi(row["best"])
		if b > 0 {
			c.fatal++
		}
		c.best += b
		c.low += atoi(row["low"])
		c.high += atoi(row["high"])
		out[k] = c
	}
	return out
}

func indexValues(vs []indicator.Value) map[string]float64 {
	m := map[string]float64{}
	for _, v := range vs {
		m[v.Country+"|"+v.Admin1+"|"+string(v.Kind)+"|"+v.Start.Format(time.DateOnly)+"|"+v.Name] = v.Value
	}
	return m
}

func TestIndicatorsRealData(t *testing.T) {
	car := testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
	gdelt := testenv.SharedData(t, "gdelt", "20191024143000.export.CSV")
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		if _, err := ingest.Files(ctx, db, []string{car, gdelt}, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		u := indicator.NewUpdater(db)
		n, err := u.Recompute(ctx, nil, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		all, err := db.Indicators(ctx, store.IndicatorQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 || len(all) != n {
			t.Fatalf("Recompute stored %d values, table holds %d", n, len(all))
		}
		got := indexValues(all)

		check := func(k string, want float64) {
			t.Helper()
			v, ok := got[k]
			if want == 0 && !ok {
				return
			}
			if !ok || math.Abs(v-want) > 1e-9 {
				t.Errorf("%s = %g (present %v), want %g", k, v, ok, want)
			}
		}
		checkCell := func(prefix string, c gedCell) {
			t.Helper()
			check(prefix+indicator.Events, float64(c.events))
			check(prefix+indicator.ViolentEvents, float64(c.violent))
			check(prefix+indicator.ViolentShare, 1)
			check(prefix+indicator.FatalEvents, float64(c.fatal))
			check(prefix+indicator.FatalitiesBest, float64(c.best))
			check(prefix+indicator.FatalitiesLow, float64(c.low))
			check(prefix+indicator.FatalitiesHigh, float64(c.high))
		}

		months := sumGED(t, car, "482", func(r map[string]string) string { return r["date_start"][:7] })
		for _, m := range []string{"2013-03", "2013-12", "2014-01", "2017-05", "2021-01"} {
			if months[m].events == 0 {
				t.Fatalf("no CAR events in %s in the CSV", m)
			}
			checkCell("CAF||month|"+m+"-01|", months[m])
		}
		weeks := sumGED(t, car, "482", func(r map[string]string) string {
			d, _ := time.Parse(time.DateOnly, r["date_start"][:10])
			return indicator.Week.Start(d).Format(time.DateOnly)
		})
		for _, w := range []string{"2013-12-02", "2014-01-20"} {
			checkCell("CAF||week|"+w+"|", weeks[w])
		}
		areas := sumGED(t, car, "482", func(r map[string]string) string {
			if p, _ := strconv.Atoi(r["where_prec"]); p > 4 || r["adm_1"] == "NA" || r["adm_1"] == "" {
				return ""
			}
			return r["adm_1"] + "|month|" + r["date_start"][:7]
		})
		checked := 0
		for _, k := range []string{"Ouaka province|month|2017-05", "Bangui province|month|2013-12", "Haute-Kotto province|month|2019-03"} {
			if c, ok := areas[k]; ok {
				area, month := k[:len(k)-len("|month|2017-05")], k[len(k)-7:]
				checkCell("CAF|"+area+"|month|"+month+"-01|", c)
				checked++
			}
		}
		if checked != 3 {
			t.Errorf("%d of 3 admin-1 cells checked; areas in the CSV: %v", checked, slicesFirst(maps.Keys(areas), 5))
		}

		// GDELT: Goldstein mean and volume for the United States on 24
		// October 2019, from the export's own columns.
		sum, cnt := gdeltGoldstein(t, gdelt, "US", "20191024")
		check("USA||day|2019-10-24|"+indicator.GoldsteinEvents, float64(cnt))
		check("USA||day|2019-10-24|"+indicator.GoldsteinMean, sum/float64(cnt))

		// Incremental: wipe, recompute CAR for 2014 only, and find the
		// same values as the full recompute in that window (the days
		// since the last fatal event carry over from 2013).
		if err := db.ReplaceIndicators(ctx, nil, time.Time{}, time.Time{}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := u.Recompute(ctx, []string{"CAF"}, date("2014-01-01"), date("2014-12-31")); err != nil {
			t.Fatal(err)
		}
		part, err := db.Indicators(ctx, store.IndicatorQuery{Country: "CAF"})
		if err != nil {
			t.Fatal(err)
		}
		if len(part) == 0 {
			t.Fatal("incremental recompute stored nothing for CAF")
		}
		for _, v := range part {
			k := v.Country + "|" + v.Admin1 + "|" + string(v.Kind) + "|" + v.Start.Format(time.DateOnly) + "|" + v.Name
			if w, ok := got[k]; !ok || w != v.Value {
				t.Errorf("incremental %s = %g, full recompute %g (present %v)", k, v.Value, w, ok)
			}
		}
		want := 0
		from, to := date("2014-01-01"), date("2014-12-31")
		for _, v := range all {
			if v.Country == "CAF" && !v.Start.Before(v.Kind.Start(from)) && !v.Start.After(v.Kind.Start(to)) {
				want++
			}
		}
		if len(part) != want {
			t.Errorf("incremental recompute stored %d CAF values, full recompute has %d in the window", len(part), want)
		}

		// Concurrent recomputes of overlapping cells both succeed and
		// leave the same values.
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				_, err := u.Recompute(ctx, []string{"CAF"}, date("2014-01-01"), date("2014-12-31"))
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Errorf("concurrent recompute: %v", err)
			}
		}
		again, err := db.Indicators(ctx, store.IndicatorQuery{Country: "CAF"})
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != len(part) {
			t.Errorf("after concurrent recomputes %d CAF values, before %d", len(again), len(part))
		}
	})
}

func slicesFirst(seq func(func(string) bool), n int) []string {
	var out []string
	for s := range seq {
		if len(out) == n {
			break
		}
		out = append(out, s)
	}
	return out
}

// gdeltGoldstein sums GoldsteinScale over the rows of a GDELT 2.0 export
// whose ActionGeo_CountryCode is fips and SQLDATE is day.
func gdeltGoldstein(t *testing.T, path, fips, day string) (float64, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = '\t'
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	var sum float64
	n := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec[1] != day || rec[53] != fips {
			continue
		}
		g, err := strconv.ParseFloat(rec[30], 64)
		if err != nil {
			t.Fatal(err)
		}
		sum += g
		n++
	}
	if n == 0 {
		t.Fatalf("no GDELT rows for %s on %s", fips, day)
	}
	return sum, n
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestSpatialLagCAF checks the Central African Republic's spatial lag on
// the global GED extract: each month's nb.fatalities_best and
// nb.violent_events are the sums of Chad's, Sudan's, South Sudan's, DR
// Congo's, Congo's and Cameroon's own values (South Sudan from 2011), and
// Chad's own monthly fatalities match the CSV.
func TestSpatialLagCAF(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests 175,000 events")
	}
	global := testenv.SharedData(t, "ucdp-ged", "ged211_precise_location_subset_global.csv.gz")
	db, _ := storetest.SQLite(t)
	ctx := context.Background()
	if _, err := ingest.Files(ctx, db, []string{global}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := indicator.NewUpdater(db).Recompute(ctx, nil, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	vs, err := db.Indicators(ctx, store.IndicatorQuery{Kind: indicator.Month})
	if err != nil {
		t.Fatal(err)
	}
	got := indexValues(vs)
	months := map[string]bool{}
	for _, v := range vs {
		if v.Country == "CAF" && v.Name == indicator.NeighbourPrefix+indicator.FatalitiesBest {
			months[v.Start.Format(time.DateOnly)] = true
		}
	}
	if len(months) < 12 {
		t.Fatalf("CAF has a neighbour lag in %d months, want years of them", len(months))
	}
	for m := range months {
		var fat, violent float64
		for _, n := range []string{"TCD", "SDN", "SSD", "COD", "COG", "CMR"} {
			if n == "SSD" && m < "2011" {
				continue
			}
			fat += got[n+"||month|"+m+"|"+indicator.FatalitiesBest]
			violent += got[n+"||month|"+m+"|"+indicator.ViolentEvents]
		}
		if g := got["CAF||month|"+m+"|nb."+indicator.FatalitiesBest]; g != fat {
			t.Errorf("CAF %s: nb.fatalities_best = %g, neighbours' sum %g", m, g, fat)
		}
		if g := got["CAF||month|"+m+"|nb."+indicator.ViolentEvents]; g != violent {
			t.Errorf("CAF %s: nb.violent_events = %g, neighbours' sum %g", m, g, violent)
		}
	}

	f, err := os.Open(global)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(zr)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	chad := map[string]float64{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec[col["country"]] != "Chad" {
			continue
		}
		b, err1 := strconv.Atoi(rec[col["best_death"]])
		y, err2 := strconv.Atoi(rec[col["year"]])
		mo, err3 := strconv.Atoi(rec[col["month"]])
		if err := cmp.Or(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		chad[fmt.Sprintf("%d-%02d", y, mo)] += float64(b)
	}
	if len(chad) == 0 {
		t.Fatal("no Chad events in the extract")
	}
	for m, want := range chad {
		if g := got["TCD||month|"+m+"-01|"+indicator.FatalitiesBest]; g != want {
			t.Errorf("TCD %s: fatalities_best = %g, CSV %g", m, g, want)
		}
	}
}

// TestRecomputeStreamsComputeValues checks that the streamed recompute,
// which computes one place at a time while it writes, stores exactly what
// Compute gives over every aggregate at once (as Recompute did before it
// streamed), on real data: the UCDP GED global extract (many countries,
// so the spatial lag crosses borders), the Central African Republic file
// and a GDELT export (Goldstein scores, protests and riots). A partial
// recompute of one country and range must then leave the table as it
// was.
func TestRecomputeStreamsComputeValues(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests 180,000 events")
	}
	files := []string{
		testenv.SharedData(t, "ucdp-ged", "ged211_precise_location_subset_global.csv.gz"),
		testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv"),
		testenv.SharedData(t, "gdelt", "20191024143000.export.CSV"),
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		if _, err := ingest.Files(ctx, db, files, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		var aggs []indicator.Aggregate
		err := db.IndicatorAggregates(ctx, nil, time.Time{}, time.Time{}, func(a *indicator.Aggregate) error {
			aggs = append(aggs, *a)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := indicator.Compute(indicator.Input{Aggregates: aggs})
		if len(want) < 100000 {
			t.Fatalf("Compute gave %d values, want the sample's hundreds of thousands", len(want))
		}

		u := indicator.NewUpdater(db)
		n, err := u.Recompute(ctx, nil, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if n != len(want) {
			t.Errorf("Recompute(all) stored %d values, Compute gives %d", n, len(want))
		}
		sameValues(t, db, "Recompute(all)", want)

		from, to := date("2013-02-13"), date("2014-11-03")
		if n, err = u.Recompute(ctx, []string{"CAF"}, from, to); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("Recompute(CAF, %s, %s) stored nothing", from.Format(time.DateOnly), to.Format(time.DateOnly))
		}
		sameValues(t, db, "Recompute(CAF) after Recompute(all)", want)
	})
}

// sameValues fails unless db stores exactly want: every value equal,
// except Goldstein means (sums of floating-point scores), which may differ
// in their last bits with the order PostgreSQL hands the sums over in.
func sameValues(t *testing.T, db *store.DB, what string, want []indicator.Value) {
	t.Helper()
	got, err := db.Indicators(context.Background(), store.IndicatorQuery{})
	if err != nil {
		t.Fatal(err)
	}
	g, w := indexValues(got), indexValues(want)
	bad := 0
	for k, wv := range w {
		gv, ok := g[k]
		same := gv == wv
		if !same && strings.HasSuffix(k, indicator.GoldsteinMean) {
			same = math.Abs(gv-wv) <= 1e-12*math.Max(1, math.Abs(wv))
		}
		if !ok || !same {
			if bad++; bad <= 10 {
				t.Errorf("%s: %s = %v (present %v), want %v", what, k, gv, ok, wv)
			}
		}
	}
	for k, gv := range g {
		if _, ok := w[k]; !ok {
			if bad++; bad <= 10 {
				t.Errorf("%s: %s = %v, want none", what, k, gv)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(w))
	}
}
