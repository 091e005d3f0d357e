package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"threshold/internal/indicator"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

func TestExport(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		ingestFiles(t, db, carFile(t))
		if _, err := indicator.NewUpdater(db).Recompute(ctx, nil, time.Time{}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		ta := newTestAPI(t, db, Deps{Now: func() time.Time { return time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC) }})
		n, err := db.CountEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		months, err := db.Indicators(ctx, store.IndicatorQuery{Kind: indicator.Month})
		if err != nil {
			t.Fatal(err)
		}

		w := scenario{path: "/api/v1/export/events?format=hxl", token: partner, wantStatus: 200,
			wantType: "text/csv; charset=utf-8; header=present"}.run(t, ta)
		if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename="threshold-events-20240506.hxl.csv"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		rows, err := csv.NewReader(w.Body).ReadAll()
		if err != nil || len(rows) != n+2 || rows[1][0] != "#meta+id" {
			t.Errorf("hxl export: %d rows (want %d), %v", len(rows), n+2, err)
		}

		w = scenario{path: "/api/v1/export/events?country=caf&from=2014-01&to=2014-01", token: reader, wantStatus: 200,
			wantType: "text/csv; charset=utf-8"}.run(t, ta)
		rows, _ = csv.NewReader(w.Body).ReadAll()
		if len(rows) < 10 {
			t.Fatalf("January 2014 export: %d rows", len(rows))
		}
		for _, r := range rows[1:] {
			if !strings.HasPrefix(r[4], "2014-01") {
				t.Fatalf("event of %s in the January 2014 export", r[4])
			}
		}

		w = scenario{path: "/api/v1/export/events?format=geojson", token: reader, wantStatus: 200,
			wantType: "application/geo+json"}.run(t, ta)
		var fc struct {
			Type     string            `json:"type"`
			Features []json.RawMessage `json:"features"`
			Omitted  int               `json:"omitted"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &fc); err != nil || fc.Type != "FeatureCollection" || len(fc.Features)+fc.Omitted != n {
			t.Errorf("geojson: %q, %d features + %d omitted, want %d (%v)", fc.Type, len(fc.Features), fc.Omitted, n, err)
		}

		w = scenario{path: "/api/v1/export/events?format=parquet", token: reader, wantStatus: 200,
			wantType: "application/vnd.apache.parquet"}.run(t, ta)
		if f, err := parquet.OpenFile(bytes.NewReader(w.Body.Bytes()), int64(w.Body.Len())); err != nil || f.NumRows() != int64(n) {
			t.Errorf("parquet: %v rows, want %d (%v)", f, n, err)
		}

		w = scenario{path: "/api/v1/export/indicators?format=parquet", token: reader, wantStatus: 200,
			wantType: "application/vnd.apache.parquet"}.run(t, ta)
		if f, err := parquet.OpenFile(bytes.NewReader(w.Body.Bytes()), int64(w.Body.Len())); err != nil || f.NumRows() != int64(len(months)) {
			t.Errorf("indicators parquet: want %d rows (%v)", len(months), err)
		}
		w = scenario{path: "/api/v1/export/indicators?format=hxl&country=CAF&name=fatalities_best&period=all", token: reader,
			wantStatus: 200, wantContains: []string{"#indicator+value+num", "CAF,,month,", "CAF,,week,", "CAF,,day,"}}.run(t, ta)
		if cd := w.Header().Get("Content-Disposition"); !strings.HasSuffix(cd, `.hxl.csv"`) {
			t.Errorf("Content-Disposition %q", cd)
		}

		for _, sc := range []scenario{
			{name: "signed out", path: "/api/v1/export/events", wantStatus: 401},
			{name: "unknown format", path: "/api/v1/export/events?format=xlsx", token: reader, wantStatus: 422},
			{name: "bad country", path: "/api/v1/export/events?country=ZZZ", token: reader, wantStatus: 422,
				wantContains: []string{"query.country"}},
			{name: "indicators as geojson", path: "/api/v1/export/indicators?format=geojson", token: reader, wantStatus: 422},
			{name: "indicators by year", path: "/api/v1/export/indicators?period=year", token: reader, wantStatus: 422},
			{name: "indicators, unknown country", path: "/api/v1/export/indicators?country=ZZZ", token: reader,
				wantStatus: 422, wantContains: []string{"query.country"}},
			{name: "indicators, to before from", path: "/api/v1/export/indicators?from=2014&to=2013", token: reader,
				wantStatus: 422, wantContains: []string{"query.to"}},
		} {
			t.Run(sc.name, func(t *testing.T) { sc.run(t, ta) })
		}
	})
}

// TestExportStoreDown checks that an export failing before its first
// byte is answered with a problem document, not an empty 200.
func TestExportStoreDown(t *testing.T) {
	db, _ := storetest.SQLite(t)
	ta := newTestAPI(t, db, Deps{})
	db.Close()
	w := scenario{path: "/api/v1/export/events?format=csv", token: reader, wantStatus: http.StatusInternalServerError,
		wantContains: []string{"request ID"}}.run(t, ta)
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" || w.Header().Get("Content-Disposition") != "" {
		t.Errorf("Content-Type %q, Content-Disposition %q", ct, w.Header().Get("Content-Disposition"))
	}
}
