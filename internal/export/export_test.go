package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"threshold/internal/event"
	"threshold/internal/indicator"
	"threshold/internal/ingest"
	"threshold/internal/sample"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// sampleDB ingests the bundled real sample (UCDP GED 23.1 for the
// Central African Republic and one GDELT 2.0 export) and computes the
// indicators.
func sampleDB(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	paths, err := sample.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Files(ctx, db, paths, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := indicator.NewUpdater(db).Recompute(ctx, nil, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
}

// TestSample exports the real sample, ingested once per database, in
// every format and checks each against the store.
func TestSample(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		sampleDB(t, db)
		t.Run("csv and hxl", func(t *testing.T) { testEventsCSVAndHXL(t, db) })
		t.Run("geojson", func(t *testing.T) { testEventsGeoJSON(t, db) })
		t.Run("parquet", func(t *testing.T) { testEventsParquet(t, db) })
		t.Run("indicators", func(t *testing.T) { testIndicators(t, db) })
		t.Run("field reports", func(t *testing.T) { testFieldReports(t, db) })
	})
}

// storeEvents is what the store holds for f, in id order.
func storeEvents(t *testing.T, db *store.DB, f event.Filter) []event.Stored {
	t.Helper()
	var out []event.Stored
	if err := db.Events(context.Background(), f, store.Page{NoRaw: true}, func(s event.Stored) error {
		out = append(out, s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// bangui is a real event of the sample, UCDP GED 23.1 id 22782: troops
// shot people in Bangui on 8 August 1991 (best estimate 0 deaths, high
// 20), at latitude 4.366667, longitude 18.583333.
const bangui = "22782"

func exportEvents(t *testing.T, db *store.DB, format Format, f event.Filter, o Options) ([]byte, Result) {
	t.Helper()
	var b bytes.Buffer
	res, err := Events(context.Background(), db, &b, format, f, o)
	if err != nil {
		t.Fatalf("Events(%s, %+v): %v", format, f, err)
	}
	return b.Bytes(), res
}

func testEventsCSVAndHXL(t *testing.T, db *store.DB) {
	{
		for _, tt := range []struct {
			name string
			f    event.Filter
		}{
			{"all", event.Filter{}},
			{"CAF 2013-2014 GED", event.Filter{Country: "CAF", Source: event.UCDPGED,
				From: day(t, "2013-01-01"), To: day(t, "2014-12-31")}},
			{"Bangui violence against civilians", event.Filter{Country: "CAF", Admin1: "Bangui province",
				Category: event.ViolenceAgainstCivilians}},
			{"nothing", event.Filter{From: day(t, "2100-01-01")}},
		} {
			want := storeEvents(t, db, tt.f)
			for _, format := range []Format{CSV, HXL} {
				// A small page crosses many page boundaries.
				out, res := exportEvents(t, db, format, tt.f, Options{PageSize: 97})
				rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
				if err != nil {
					t.Fatalf("%s %s: read back: %v", tt.name, format, err)
				}
				head := 1
				if format == HXL {
					head = 2
				}
				if len(rows)-head != len(want) || res.Rows != len(want) {
					t.Fatalf("%s %s: %d data rows (result %d), store has %d", tt.name, format, len(rows)-head, res.Rows, len(want))
				}
				names, tags := []string{}, []string{}
				for _, c := range eventColumns {
					names, tags = append(names, c.name), append(tags, c.tag)
				}
				if diff := cmp.Diff(names, rows[0]); diff != "" {
					t.Errorf("%s header (-want +got):\n%s", format, diff)
				}
				if format == HXL {
					if diff := cmp.Diff(tags, rows[1]); diff != "" {
						t.Errorf("hxl hashtag row (-want +got):\n%s", diff)
					}
				}
				for i, s := range want {
					r := rows[head+i]
					if r[0] != fmt.Sprint(s.ID) || r[2] != s.SourceID || r[7] != s.Country {
						t.Fatalf("%s %s: row %d = %q, want event %d %s", tt.name, format, i, r[:8], s.ID, s.Key())
					}
				}
			}
		}
		out, _ := exportEvents(t, db, HXL, event.Filter{Source: event.UCDPGED}, Options{})
		rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range rows[2:] {
			if r[2] == bangui {
				for i, c := range rows[1] {
					got[c] = r[i]
				}
			}
		}
		want := map[string]string{"#meta+source": "ucdp-ged", "#date+start": "1991-08-08", "#date+end": "1991-08-08",
			"#country+code": "CAF", "#adm1+name": "Bangui province", "#geo+lat": "4.366667", "#geo+lon": "18.583333",
			"#affected+killed+best": "0", "#affected+killed+low": "0", "#affected+killed+high": "20",
			"#group+name+first": "Government of Central African Republic", "#group+name+second": "Civilians",
			"#event+category": "violence-against-civilians", "#event+type": "3"}
		for tag, v := range want {
			if got[tag] != v {
				t.Errorf("event %s: %s = %q, want %q", bangui, tag, got[tag], v)
			}
		}
	}
}

// hxlTag is the syntax of an HXL hashtag with attributes.
var hxlTag = regexp.MustCompile(`^#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*$`)

// hxlCore are the HXL dictionary's hashtags the exports use.
var hxlCore = map[string]bool{"#meta": true, "#event": true, "#date": true, "#country": true, "#adm1": true,
	"#loc": true, "#geo": true, "#group": true, "#affected": true, "#indicator": true}

func TestHashtags(t *testing.T) {
	check := func(what string, names, tags []string) {
		seen := map[string]bool{}
		for i, tag := range tags {
			if !hxlTag.MatchString(tag) {
				t.Errorf("%s column %s: hashtag %q is not HXL syntax", what, names[i], tag)
			}
			if h, _, _ := strings.Cut(tag, "+"); !hxlCore[h] {
				t.Errorf("%s column %s: hashtag %q is not in the HXL dictionary", what, names[i], tag)
			}
			if seen[tag] {
				t.Errorf("%s: hashtag %q used twice", what, tag)
			}
			seen[tag] = true
		}
	}
	var names, tags []string
	for _, c := range eventColumns {
		names, tags = append(names, c.name), append(tags, c.tag)
	}
	check("events", names, tags)
	names, tags = nil, nil
	for _, c := range indicatorColumns {
		names, tags = append(names, c.name), append(tags, c.tag)
	}
	check("indicators", names, tags)
}

// TestColumnsMatchParquetSchema keeps the CSV columns and the Parquet
// schema the same columns in the same order.
func TestColumnsMatchParquetSchema(t *testing.T) {
	names := func(s *parquet.Schema) []string {
		var out []string
		for _, f := range s.Fields() {
			out = append(out, f.Name())
		}
		return out
	}
	var ev, in []string
	for _, c := range eventColumns {
		ev = append(ev, c.name)
	}
	for _, c := range indicatorColumns {
		in = append(in, c.name)
	}
	if diff := cmp.Diff(ev, names(parquet.SchemaOf(eventRow{}))); diff != "" {
		t.Errorf("event columns vs Parquet schema (-csv +parquet):\n%s", diff)
	}
	if diff := cmp.Diff(in, names(parquet.SchemaOf(indicatorRow{}))); diff != "" {
		t.Errorf("indicator columns vs Parquet schema (-csv +parquet):\n%s", diff)
	}
}

type featureCollection struct {
	Type     string `json:"type"`
	Features []struct {
		Type     string `json:"type"`
		ID       int64  `json:"id"`
		Geometry struct {
			Type        string    `json:"type"`
			Coordinates []float64 `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
	Omitted *int `json:"omitted"`
}

func testEventsGeoJSON(t *testing.T, db *store.DB) {
	{
		want := storeEvents(t, db, event.Filter{})
		located := 0
		for _, s := range want {
			if s.Latitude != nil {
				located++
			}
		}
		if located == len(want) || located == 0 {
			t.Fatalf("the sample has %d located events of %d: the test needs both kinds", located, len(want))
		}
		out, res := exportEvents(t, db, GeoJSON, event.Filter{}, Options{PageSize: 500})
		if !json.Valid(out) {
			t.Fatalf("not valid JSON: %.300s", out)
		}
		var fc featureCollection
		if err := json.Unmarshal(out, &fc); err != nil {
			t.Fatal(err)
		}
		if fc.Type != "FeatureCollection" || len(fc.Features) != located || fc.Omitted == nil ||
			*fc.Omitted != len(want)-located || res.Rows != located || res.Omitted != len(want)-located {
			t.Fatalf("collection %q: %d features, omitted %v (result %+v), want %d and %d",
				fc.Type, len(fc.Features), fc.Omitted, res, located, len(want)-located)
		}
		found := false
		for _, f := range fc.Features {
			c := f.Geometry.Coordinates
			if f.Type != "Feature" || f.Geometry.Type != "Point" || len(c) != 2 ||
				math.Abs(c[0]) > 180 || math.Abs(c[1]) > 90 {
				t.Fatalf("feature %d: %+v", f.ID, f)
			}
			if f.Properties["source"] == "ucdp-ged" && f.Properties["source_id"] == bangui {
				found = true
				// RFC 7946: [longitude, latitude]. Bangui is at 18.58 E, 4.37 N.
				if c[0] != 18.583333 || c[1] != 4.366667 {
					t.Errorf("event %s: coordinates %v, want [18.583333 4.366667]", bangui, c)
				}
				if f.Properties["fatalities_high"] != 20.0 || f.Properties["fatalities_best"] != 0.0 || f.Properties["date_start"] != "1991-08-08" ||
					f.Properties["electoral"] != false {
					t.Errorf("event %s: properties %v", bangui, f.Properties)
				}
			}
		}
		if !found {
			t.Errorf("event %s is not in the collection", bangui)
		}
		// An empty selection is a valid empty collection.
		out, _ = exportEvents(t, db, GeoJSON, event.Filter{From: day(t, "2100-01-01")}, Options{})
		if err := json.Unmarshal(out, &fc); err != nil || len(fc.Features) != 0 || *fc.Omitted != 0 {
			t.Errorf("empty export = %s (%v)", out, err)
		}
	}
}

func testEventsParquet(t *testing.T, db *store.DB) {
	{
		want := storeEvents(t, db, event.Filter{})
		const group = 500
		out, res := exportEvents(t, db, Parquet, event.Filter{}, Options{RowGroupRows: group, PageSize: 333})
		if res.Rows != len(want) {
			t.Fatalf("result %+v, store has %d", res, len(want))
		}
		f, err := parquet.OpenFile(bytes.NewReader(out), int64(len(out)))
		if err != nil {
			t.Fatal(err)
		}
		if f.NumRows() != int64(len(want)) || len(f.RowGroups()) != (len(want)+group-1)/group {
			t.Errorf("%d rows in %d row groups, want %d in %d", f.NumRows(), len(f.RowGroups()), len(want), (len(want)+group-1)/group)
		}
		types := map[string]string{}
		for _, fld := range f.Schema().Fields() {
			typ := fld.Type().Kind().String()
			if lt := fld.Type().LogicalType(); lt != nil {
				typ += " " + lt.String()
			}
			if fld.Optional() {
				typ = "optional " + typ
			}
			types[fld.Name()] = typ
		}
		for name, typ := range map[string]string{"date_start": "INT32 DATE", "date_end": "INT32 DATE",
			"latitude": "optional DOUBLE", "fatalities_best": "optional INT32 INT(32,true)",
			"source": "BYTE_ARRAY STRING", "admin1": "optional BYTE_ARRAY STRING", "id": "INT64 INT(64,true)",
			"electoral": "BOOLEAN", "goldstein": "optional DOUBLE"} {
			if types[name] != typ {
				t.Errorf("column %s: type %q, want %q", name, types[name], typ)
			}
		}
		rows, err := parquet.Read[eventRow](bytes.NewReader(out), int64(len(out)))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(want) {
			t.Fatalf("read back %d rows, want %d", len(rows), len(want))
		}
		for i, s := range want {
			if diff := cmp.Diff(newEventRow(&s), rows[i]); diff != "" {
				t.Fatalf("row %d (event %s) (-want +got):\n%s", i, s.Key(), diff)
			}
		}
	}
}

func day(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func testIndicators(t *testing.T, db *store.DB) {
	{
		ctx := context.Background()
		area := "Ouham province"
		for _, tt := range []struct {
			name string
			q    store.IndicatorQuery
		}{
			{"months", store.IndicatorQuery{Kind: indicator.Month}},
			{"CAF weeks 2013", store.IndicatorQuery{Country: "CAF", Kind: indicator.Week, From: day(t, "2013-01-01"), To: day(t, "2013-12-31")}},
			{"Ouham fatalities, all periods", store.IndicatorQuery{Country: "CAF", Admin1: &area, Name: "fatalities_best"}},
		} {
			want, err := db.Indicators(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) < 10 {
				t.Fatalf("%s: only %d values in the store", tt.name, len(want))
			}
			for _, format := range []Format{CSV, HXL, Parquet} {
				var b bytes.Buffer
				res, err := Indicators(ctx, db, &b, format, tt.q, Options{PageSize: 89})
				if err != nil {
					t.Fatalf("%s %s: %v", tt.name, format, err)
				}
				if res.Rows != len(want) {
					t.Errorf("%s %s: %d rows, store has %d", tt.name, format, res.Rows, len(want))
				}
				var got []indicatorRow
				if format == Parquet {
					if got, err = parquet.Read[indicatorRow](bytes.NewReader(b.Bytes()), int64(b.Len())); err != nil {
						t.Fatal(err)
					}
				} else {
					got = readIndicatorCSV(t, b.Bytes(), format == HXL)
				}
				wantRows := make([]indicatorRow, len(want))
				for i := range want {
					wantRows[i] = newIndicatorRow(&want[i])
				}
				if diff := cmp.Diff(wantRows, got); diff != "" {
					t.Errorf("%s %s (-store +export):\n%.2000s", tt.name, format, diff)
				}
			}
		}
		if _, err := Indicators(ctx, db, &bytes.Buffer{}, GeoJSON, store.IndicatorQuery{}, Options{}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("indicators as GeoJSON: err = %v, want ErrUnsupported", err)
		}
	}
}

// readIndicatorCSV parses an indicator export back into rows.
func readIndicatorCSV(t *testing.T, b []byte, hxl bool) []indicatorRow {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := 1
	if hxl {
		head = 2
		if recs[1][0] != "#country+code" || recs[1][6] != "#indicator+value+num" {
			t.Errorf("hashtag row %q", recs[1])
		}
	}
	var out []indicatorRow
	for _, r := range recs[head:] {
		var v float64
		if _, err := fmt.Sscan(r[6], &v); err != nil {
			t.Fatalf("value %q: %v", r[6], err)
		}
		out = append(out, indicatorRow{Country: r[0], Admin1: optString(r[1]), Period: r[2],
			PeriodStart: epochDay(day(t, r[3])), PeriodEnd: epochDay(day(t, r[4])), Name: r[5], Value: v})
	}
	return out
}

func TestParseFormat(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Format
		ok   bool
	}{
		{"csv", CSV, true}, {" HXL ", HXL, true}, {"GeoJSON", GeoJSON, true}, {"parquet", Parquet, true},
		{"", "", false}, {"json", "", false}, {"xlsx", "", false},
	} {
		got, err := ParseFormat(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"csv", "HXL", "geojson", " parquet", "", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFormat(s)
		if err != nil {
			return
		}
		if again, err := ParseFormat(string(got)); err != nil || again != got {
			t.Errorf("ParseFormat(%q) = %q, which parses to %q, %v", s, got, again, err)
		}
		if got.ContentType() == "application/octet-stream" || got.Ext() == "" {
			t.Errorf("format %q has no media type or extension", got)
		}
	})
}

// oneEvent is an event store holding one synthetic event.
type oneEvent struct{ e event.Stored }

func (o oneEvent) Events(_ context.Context, _ event.Filter, p store.Page, fn func(event.Stored) error) error {
	if p.AfterID >= o.e.ID {
		return nil
	}
	return fn(o.e)
}

func TestCSVDefusesFormulas(t *testing.T) {
	lat, lon, best := -12.5, -105.733, 2
	d := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	st := oneEvent{event.Stored{ID: 7, Event: event.Event{Source: event.FieldReport, SourceID: "7", DateStart: d, DateEnd: d,
		Country: "MEX", Place: `=HYPERLINK("http://synthetic.invalid","x")`, Actor1: "-synthetic group", Actor2: "@synthetic",
		Latitude: &lat, Longitude: &lon, Category: event.Riot, Fatalities: event.Fatalities{Best: &best}}}}
	var b bytes.Buffer
	if _, err := Events(context.Background(), st, &b, CSV, event.Filter{}, Options{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for i, name := range rows[0] {
		got[name] = rows[1][i]
	}
	for name, want := range map[string]string{"place": `'=HYPERLINK("http://synthetic.invalid","x")`,
		"actor1": "'-synthetic group", "actor2": "'@synthetic", "latitude": "-12.5", "longitude": "-105.733",
		"fatalities_best": "2"} {
		if got[name] != want {
			t.Errorf("%s = %q, want %q", name, got[name], want)
		}
	}
	// Parquet and GeoJSON keep the text as it is.
	b.Reset()
	if _, err := Events(context.Background(), st, &b, GeoJSON, event.Filter{}, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"place":"=HYPERLINK(`) {
		t.Errorf("geojson changed the place: %s", b.String())
	}
}
