package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"threshold/internal/auth"
	"threshold/internal/event"
	"threshold/internal/ingest"
	"threshold/internal/server"
	"threshold/internal/server/servertest"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

// carFile is the shared sample the tests serve: UCDP GED 23.1's events in
// the Central African Republic (1,848 rows).
func carFile(t testing.TB) string {
	return testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
}

// ingestFiles ingests paths into db the way the CLI does.
func ingestFiles(t testing.TB, db ingest.Store, paths ...string) ingest.Summary {
	t.Helper()
	sum, err := ingest.Files(context.Background(), db, paths, ingest.Options{})
	if err != nil {
		t.Fatalf("ingest %v: %v", paths, err)
	}
	return sum
}

// testAPI serves the API over db, with the fake authenticator.
type testAPI struct {
	*server.Server
	api     *API
	db      *store.DB
	tempDir string
}

func newTestAPI(t testing.TB, db *store.DB, deps Deps) *testAPI {
	t.Helper()
	rs := &server.Routes{}
	m := server.NewMetrics()
	deps.Store, deps.Metrics = db, m
	if deps.TempDir == "" {
		deps.TempDir = t.TempDir()
	}
	a, err := Register(rs, deps)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Routes: rs, Auth: servertest.Auth{}, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	return &testAPI{Server: srv, api: a, db: db, tempDir: deps.TempDir}
}

// sampleAPI serves a SQLite database holding the CAR sample.
func sampleAPI(t testing.TB, deps Deps) *testAPI {
	t.Helper()
	db, _ := storetest.SQLite(t)
	ingestFiles(t, db, carFile(t))
	return newTestAPI(t, db, deps)
}

var (
	analyst = servertest.Token(auth.Analyst, auth.ScopeWrite)
	partner = servertest.Token(auth.PartnerViewer, auth.ScopeRead)
	reader  = servertest.Token(auth.Analyst, auth.ScopeRead)
	admin   = servertest.Token(auth.Admin, auth.ScopeWrite)
)

type scenario struct {
	name            string
	method, path    string
	body            io.Reader
	contentType     string
	token           string // bearer token; "" is signed out
	wantStatus      int
	wantContains    []string
	wantNotContains []string
	wantType        string // Content-Type
}

func (sc scenario) run(t *testing.T, h http.Handler) *httptest.ResponseRecorder {
	t.Helper()
	method := sc.method
	if method == "" {
		method = http.MethodGet
	}
	r := httptest.NewRequest(method, sc.path, sc.body)
	if sc.contentType != "" {
		r.Header.Set("Content-Type", sc.contentType)
	}
	if sc.token != "" {
		r.Header.Set("Authorization", "Bearer "+sc.token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != sc.wantStatus {
		t.Errorf("%s %s: status %d, want %d\n%s", method, sc.path, w.Code, sc.wantStatus, clip(w.Body.String()))
	}
	for _, s := range sc.wantContains {
		if !strings.Contains(w.Body.String(), s) {
			t.Errorf("%s %s: body lacks %q\n%s", method, sc.path, s, clip(w.Body.String()))
		}
	}
	for _, s := range sc.wantNotContains {
		if strings.Contains(w.Body.String(), s) {
			t.Errorf("%s %s: body has %q\n%s", method, sc.path, s, clip(w.Body.String()))
		}
	}
	if sc.wantType != "" && w.Header().Get("Content-Type") != sc.wantType {
		t.Errorf("%s %s: Content-Type %q, want %q", method, sc.path, w.Header().Get("Content-Type"), sc.wantType)
	}
	return w
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

const problemJSON = "application/problem+json"

func TestScenarios(t *testing.T) {
	ta := sampleAPI(t, Deps{})
	tests := []scenario{
		{name: "list events", path: "/api/v1/events?country=CAF&limit=2", token: reader, wantStatus: 200,
			wantContains: []string{`"items":[`, `"country":"CAF"`, `"next_cursor":"`}, wantType: "application/json"},
		{name: "lower-case country", path: "/api/v1/events?country=caf&limit=1", token: reader, wantStatus: 200,
			wantContains: []string{`"country":"CAF"`}},
		{name: "all filters", token: partner, wantStatus: 200,
			path:            "/api/v1/events?country=CAF&from=2013-12&to=2013-12&category=violence-against-civilians&source=ucdp-ged&limit=1000",
			wantContains:    []string{`"date_start":"2013-12-`, `"category":"violence-against-civilians"`},
			wantNotContains: []string{`"next_cursor"`, `"date_start":"2013-11`, `"date_start":"2014-01`}},
		{name: "no match", path: "/api/v1/events?country=SWE", token: reader, wantStatus: 200,
			wantContains: []string{`{"items":[]}`}},
		{name: "SQL metacharacters are data", path: "/api/v1/events?admin1=%27%20OR%201%3D1%20--%3B%20DROP%20TABLE%20events",
			token: reader, wantStatus: 200, wantContains: []string{`{"items":[]}`}},
		{name: "unknown country", path: "/api/v1/events?country=XXX", token: reader, wantStatus: 422,
			wantContains: []string{`"location":"query.country"`, `"value":"XXX"`}, wantType: problemJSON},
		{name: "country too long", path: "/api/v1/events?country=CAFE", token: reader, wantStatus: 422,
			wantContains: []string{`query.country`}},
		{name: "bad month", path: "/api/v1/events?from=2013-13", token: reader, wantStatus: 422,
			wantContains: []string{`"location":"query.from"`, "YYYY-MM-DD"}, wantType: problemJSON},
		{name: "bad day", path: "/api/v1/stats?to=2013-02-30", token: reader, wantStatus: 422,
			wantContains: []string{`"location":"query.to"`}},
		{name: "year before 1000", path: "/api/v1/stats?from=0999", token: reader, wantStatus: 422},
		{name: "to before from", path: "/api/v1/events?from=2014&to=2013", token: reader, wantStatus: 422,
			wantContains: []string{"before the first"}},
		{name: "unknown category", path: "/api/v1/events?category=picnic", token: reader, wantStatus: 422,
			wantContains: []string{`"location":"query.category"`, "battle"}},
		{name: "unknown source", path: "/api/v1/stats?source=twitter", token: reader, wantStatus: 422,
			wantContains: []string{`"location":"query.source"`}},
		{name: "limit zero", path: "/api/v1/events?limit=0", token: reader, wantStatus: 422,
			wantContains: []string{`query.limit`}},
		{name: "limit over max", path: "/api/v1/events?limit=1001", token: reader, wantStatus: 422},
		{name: "limit not a number", path: "/api/v1/events?limit=ten", token: reader, wantStatus: 422},
		{name: "limit overflows", path: "/api/v1/events?limit=99999999999999999999999", token: reader, wantStatus: 422},
		{name: "forged cursor", path: "/api/v1/events?cursor=LTE", token: reader, wantStatus: 422,
			wantContains: []string{`"location":"query.cursor"`}},
		{name: "garbage cursor", path: "/api/v1/events?cursor=%00%ff", token: reader, wantStatus: 422},
		{name: "geojson", path: "/api/v1/events.geojson?country=CAF&limit=3", token: partner, wantStatus: 200,
			wantContains: []string{`"type":"FeatureCollection"`, `"type":"Point"`, `"coordinates":[`},
			wantType:     "application/geo+json"},
		{name: "geojson limit over max", path: "/api/v1/events.geojson?limit=10001", token: reader, wantStatus: 422},
		{name: "one event", path: "/api/v1/events/ucdp-ged/22782", token: reader, wantStatus: 200,
			wantContains: []string{`"source_id":"22782"`, `"raw":["22782"`, `"raw_columns":["id"`, `"versions":[]`}},
		{name: "no such event", path: "/api/v1/events/ucdp-ged/999999999", token: reader, wantStatus: 404,
			wantContains: []string{"no event ucdp-ged:999999999"}, wantType: problemJSON},
		{name: "no such source", path: "/api/v1/events/myspace/1", token: reader, wantStatus: 422,
			wantContains: []string{`"location":"path.source"`}},
		{name: "stats", path: "/api/v1/stats?by=country-month&country=CAF&from=2013&to=2013", token: partner,
			wantStatus: 200, wantContains: []string{`"by":"country-month"`, `"period":"2013-12"`}},
		{name: "stats by default", path: "/api/v1/stats?country=CAF", token: reader, wantStatus: 200,
			wantContains: []string{`"by":"country-month"`}},
		{name: "stats by week", path: "/api/v1/stats?by=country-week&country=CAF&from=2013-12&to=2013-12",
			token: reader, wantStatus: 200, wantContains: []string{`"period":"2013-W49"`}},
		{name: "stats by admin1", path: "/api/v1/stats?by=admin1-month&country=CAF", token: reader, wantStatus: 200,
			wantContains: []string{`"admin1":"Bangui`}},
		{name: "stats by what", path: "/api/v1/stats?by=continent-decade", token: reader, wantStatus: 422,
			wantContains: []string{`"location":"query.by"`}},
		{name: "rejects", path: "/api/v1/rejects", token: reader, wantStatus: 200,
			wantContains: []string{`"items":[]`}},
		{name: "rejects forbidden to partners", path: "/api/v1/rejects", token: partner, wantStatus: 403,
			wantType: problemJSON},
		{name: "signed out", path: "/api/v1/events", wantStatus: 401, wantType: problemJSON},
		{name: "openapi is public", path: "/api/v1/openapi.json", wantStatus: 200,
			wantContains: []string{`"openapi":"3.1.0"`, `"/api/v1/events/{source}/{source_id}"`, `"x-threshold-roles"`,
				`"violence-against-civilians"`}},
		{name: "unknown API path", path: "/api/v1/nothing", token: reader, wantStatus: 404, wantType: problemJSON},
		{name: "wrong method", method: "DELETE", path: "/api/v1/events", token: analyst, wantStatus: 405,
			wantType: problemJSON},
		{name: "ingest needs multipart", method: "POST", path: "/api/v1/ingest", token: analyst,
			contentType: "application/json", body: strings.NewReader(`{"file": "x"`), wantStatus: 415,
			wantType: problemJSON},
		{name: "ingest of nothing", method: "POST", path: "/api/v1/ingest", token: analyst,
			contentType: "multipart/form-data; boundary=x", body: strings.NewReader("--x--\r\n"), wantStatus: 422,
			wantContains: []string{"no files"}},
		{name: "ingest of a broken multipart body", method: "POST", path: "/api/v1/ingest", token: analyst,
			contentType: "multipart/form-data; boundary=x", body: strings.NewReader("--x\r\nContent-Disp"), wantStatus: 400,
			wantContains: []string{"malformed multipart body"}},
		{name: "ingest with a read token", method: "POST", path: "/api/v1/ingest", token: reader, wantStatus: 403},
		{name: "ingest by a partner", method: "POST", path: "/api/v1/ingest",
			token: servertest.Token(auth.PartnerViewer, auth.ScopeWrite), wantStatus: 403},
		{name: "ingest of an unknown format", method: "POST", path: "/api/v1/ingest", token: analyst,
			body: upload(t, map[string]string{"notes.txt": "hello\nworld\n"}), contentType: uploadType,
			wantStatus: 422, wantContains: []string{"could not ingest the upload: ingest notes.txt: unrecognised format"},
			wantNotContains: []string{ta.tempDir}},
		{name: "ingest with an unknown format name", method: "POST", path: "/api/v1/ingest?format=excel", token: analyst,
			body: upload(t, map[string]string{"a.csv": "x"}), contentType: uploadType, wantStatus: 422,
			wantContains: []string{`"location":"query.format"`}},
	}
	for _, sc := range tests {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, ta) })
	}
}

// uploadType is the Content-Type of the bodies upload makes.
const uploadType = "multipart/form-data; boundary=threshold-test-boundary"

// upload makes a multipart body with a file part per entry of files, in
// name order.
func upload(t testing.TB, files map[string]string) io.Reader {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.SetBoundary("threshold-test-boundary"); err != nil {
		t.Fatal(err)
	}
	for _, n := range slices.Sorted(maps.Keys(files)) {
		fw, err := mw.CreateFormFile("file", n)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, files[n])
	}
	mw.Close()
	return &b
}

func TestProblemShape(t *testing.T) {
	ta := sampleAPI(t, Deps{})
	w := scenario{path: "/api/v1/events?from=2013-13&category=picnic", token: reader, wantStatus: 422}.run(t, ta)
	var got struct {
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
		Errors []struct {
			Message  string `json:"message"`
			Location string `json:"location"`
			Value    any    `json:"value"`
		} `json:"errors"`
	}
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("problem: %v", err)
	}
	if got.Title != "Unprocessable Entity" || got.Status != 422 || got.Detail == "" || len(got.Errors) == 0 {
		t.Errorf("problem = %+v, want title, status 422, detail and errors", got)
	}
	for _, e := range got.Errors {
		if e.Location == "" || e.Message == "" {
			t.Errorf("problem detail %+v lacks a location or a message", e)
		}
	}
	if w.Header().Get("X-Request-ID") == "" {
		t.Error("no X-Request-ID")
	}
}

// TestPagination walks every page of the sample and checks that the
// pages hold every event once, in id order.
func TestPagination(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ingestFiles(t, db, carFile(t))
		ta := newTestAPI(t, db, Deps{})
		want, err := db.CountEvents(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		cursor, pages := "", 0
		for {
			w := scenario{path: "/api/v1/events?country=CAF&limit=500&cursor=" + cursor, token: reader, wantStatus: 200}.run(t, ta)
			var page struct {
				Items      []Event `json:"items"`
				NextCursor string  `json:"next_cursor"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
				t.Fatal(err)
			}
			pages++
			for _, e := range page.Items {
				if len(ids) > 0 && e.ID <= ids[len(ids)-1] {
					t.Fatalf("page %d: id %d after %d", pages, e.ID, ids[len(ids)-1])
				}
				ids = append(ids, e.ID)
			}
			if page.NextCursor == "" {
				break
			}
			if pages > 100 {
				t.Fatal("more than 100 pages")
			}
			cursor = page.NextCursor
		}
		if len(ids) != want || pages != (want+499)/500 {
			t.Errorf("pages: %d events in %d pages, want %d in %d", len(ids), pages, want, (want+499)/500)
		}
	})
}

// TestStatsMatchStore checks the endpoint against the store, and that an
// ingest through the API shows in the statistics at once, cache or not.
func TestStatsMatchStore(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ingestFiles(t, db, carFile(t))
		clock := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		ta := newTestAPI(t, db, Deps{StatsCacheTTL: time.Hour, Now: func() time.Time { return clock }})
		stats := func(q string) []event.Period {
			w := scenario{path: "/api/v1/stats?" + q, token: reader, wantStatus: 200}.run(t, ta)
			var out struct {
				Items []event.Period `json:"items"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			return out.Items
		}
		if err := ta.api.Warm(context.Background()); err != nil {
			t.Fatal(err)
		}
		want, err := db.Stats(context.Background(), store.CountryMonth, event.Filter{Country: "CAF"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, stats("country=CAF")); diff != "" {
			t.Errorf("warmed country-month stats (-store +api):\n%s", diff)
		}
		want, err = db.Stats(context.Background(), store.Admin1Month, event.Filter{Country: "CAF"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, stats("by=admin1-month&country=CAF")); diff != "" {
			t.Errorf("admin1-month stats (-store +api):\n%s", diff)
		}
		if got := stats("country=MEX"); len(got) != 0 {
			t.Fatalf("MEX before ingest: %d periods", len(got))
		}
		mex, err := os.ReadFile(testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_mexico.csv"))
		if err != nil {
			t.Fatal(err)
		}
		scenario{method: "POST", path: "/api/v1/ingest", token: analyst, contentType: uploadType,
			body: upload(t, map[string]string{"GEDEvent_v23_1_mexico.csv": string(mex)}), wantStatus: 200,
			wantContains: []string{`"inserted":18957`}}.run(t, ta)
		want, err = db.Stats(context.Background(), store.CountryMonth, event.Filter{Country: "MEX"})
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Fatal("no MEX stats in the store after the upload")
		}
		if diff := cmp.Diff(want, stats("country=MEX")); diff != "" {
			t.Errorf("MEX stats after ingest (-store +api):\n%s", diff)
		}
	})
}

// TestIngestUpload checks that an upload gives the summary the CLI's
// ingest gives, and that file names cannot reach outside the upload
// directory.
func TestIngestUpload(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ta := newTestAPI(t, db, Deps{})
		car, err := os.ReadFile(carFile(t))
		if err != nil {
			t.Fatal(err)
		}
		// The same file, under names meant to escape.
		names := []string{"../../../escaped.csv", `..\..\escaped.csv`, "/etc/escaped.csv", "..", ".hidden.csv"}
		files := map[string]string{}
		for i, n := range names {
			files[n] = string(car[:len(car)-i]) // distinct content, same rows but the last line cut
		}
		w := scenario{method: "POST", path: "/api/v1/ingest", token: analyst, contentType: uploadType,
			body: upload(t, files), wantStatus: 200}.run(t, ta)
		var sum ingest.Summary
		if err := json.Unmarshal(w.Body.Bytes(), &sum); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range sum.Files {
			got = append(got, f.Name)
		}
		// In name order: "..", "../../../escaped.csv", `..\..\escaped.csv`, ".hidden.csv", "/etc/escaped.csv".
		want := []string{"upload", "escaped.csv", "escaped.csv", "hidden.csv", "escaped.csv"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("stored file names (-want +got):\n%s", diff)
		}
		if sum.Inserted != 1848 || sum.Rejected > len(names) {
			t.Errorf("summary %+v: want 1848 inserted", sum.Counts)
		}
		for _, dir := range []string{ta.tempDir, filepath.Dir(ta.tempDir), "/etc"} {
			if _, err := os.Stat(filepath.Join(dir, "escaped.csv")); err == nil {
				t.Errorf("an upload escaped to %s", dir)
			}
		}
		if left, _ := os.ReadDir(ta.tempDir); len(left) != 0 {
			t.Errorf("upload directory not cleaned: %v", left)
		}
	})
}

func TestIngestSameSummaryAsCLI(t *testing.T) {
	ta := newTestAPI(t, func() *store.DB { db, _ := storetest.SQLite(t); return db }(), Deps{})
	ref, _ := storetest.SQLite(t)
	want := ingestFiles(t, ref, carFile(t))
	car, err := os.ReadFile(carFile(t))
	if err != nil {
		t.Fatal(err)
	}
	w := scenario{method: "POST", path: "/api/v1/ingest", token: analyst, contentType: uploadType,
		body: upload(t, map[string]string{filepath.Base(carFile(t)): string(car)}), wantStatus: 200}.run(t, ta)
	var got ingest.Summary
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	got.Seconds, want.Seconds = 0, 0
	// Touched is internal (json:"-"): what the ingest changed, for the
	// indicators; the wire summary is everything else.
	ignoreTouched := cmp.FilterPath(func(p cmp.Path) bool {
		sf, ok := p.Last().(cmp.StructField)
		return ok && sf.Name() == "Touched"
	}, cmp.Ignore())
	if diff := cmp.Diff(want, got, ignoreTouched); diff != "" {
		t.Errorf("upload summary vs CLI ingest (-cli +api):\n%s", diff)
	}
	w = scenario{path: "/metrics", wantStatus: 200}.run(t, ta)
	if !strings.Contains(w.Body.String(), `threshold_ingest_rows_total{outcome="inserted"} 1848`) {
		t.Errorf("metrics do not count the ingest")
	}
}

func TestUploadTooLarge(t *testing.T) {
	ta := sampleAPI(t, Deps{MaxUpload: 1000})
	body := upload(t, map[string]string{"big.csv": strings.Repeat("x", 5000)})
	scenario{method: "POST", path: "/api/v1/ingest", token: analyst, contentType: uploadType,
		body: body, wantStatus: 413, wantType: problemJSON}.run(t, ta)

	// Without a Content-Length, the limit trips while the file is read.
	r := httptest.NewRequest("POST", "/api/v1/ingest", io.MultiReader(upload(t, map[string]string{"big.csv": strings.Repeat("x", 5000)})))
	r.ContentLength = -1
	r.Header.Set("Content-Type", uploadType)
	r.Header.Set("Authorization", "Bearer "+analyst)
	w := httptest.NewRecorder()
	ta.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "limit of 1000 bytes") {
		t.Errorf("chunked upload over the limit: %d %s", w.Code, w.Body)
	}
}

func TestSanitizeFileName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"GEDEvent_v23_1.csv.zip", "GEDEvent_v23_1.csv.zip"},
		{"20191024143000.export.CSV.zip", "20191024143000.export.CSV.zip"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\me\data.csv`, "data.csv"},
		{"..", "upload"},
		{".", "upload"},
		{"", "upload"},
		{"...hidden", "hidden"},
		{"a b;c|d$(e).csv", "a_b_c_d__e_.csv"},
		{"données.csv", "donn__es.csv"},
		{"x\x00y.csv", "x_y.csv"},
		{strings.Repeat("a", 300) + ".csv.gz", strings.Repeat("a", 121) + ".csv.gz"},
	} {
		if got := SanitizeFileName(tt.in); got != tt.want {
			t.Errorf("SanitizeFileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestAccess walks the API's route table with every caller.
func TestAccess(t *testing.T) {
	ta := sampleAPI(t, Deps{})
	routes := ta.Routes().All()
	n := 0
	for _, rt := range routes {
		if strings.HasPrefix(rt.Pattern, Prefix) && !rt.Public {
			n++
		}
	}
	if n < 6 {
		t.Fatalf("only %d guarded API routes in the table", n)
	}
	servertest.CheckAccess(t, ta, routes)
}

func TestStatsCache(t *testing.T) {
	var mu sync.Mutex // the clock and loads are read by background loads
	clock := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newStatsCache(time.Minute, 2, func() time.Time { mu.Lock(); defer mu.Unlock(); return clock })
	loads := 0
	load := func(context.Context) ([]event.Period, error) {
		mu.Lock()
		defer mu.Unlock()
		loads++
		return []event.Period{{Country: "CAF", Events: loads}}, nil
	}
	get := func(country string) int {
		v, err := c.get(context.Background(), statsKey{f: event.Filter{Country: country}}, load)
		if err != nil {
			t.Fatal(err)
		}
		return v[0].Events
	}
	steps := []struct {
		name    string
		country string
		advance time.Duration
		wait    bool // for background loads first
		clear   bool
		put     bool // put a result of the generation before any clear
		want    int
	}{
		{name: "first load", country: "CAF", want: 1},
		{name: "cached", country: "CAF", want: 1},
		{name: "another key", country: "SDN", want: 2},
		{name: "still cached", country: "CAF", advance: 59 * time.Second, want: 1},
		{name: "expired: stale while a refresh runs", country: "CAF", advance: time.Second, want: 1},
		{name: "refreshed", country: "CAF", wait: true, want: 3},
		{name: "third key evicts the least recently used", country: "MEX", want: 4},
		{name: "evicted", country: "SDN", want: 5},
		{name: "cleared", country: "SDN", clear: true, want: 6},
		{name: "warmed", country: "SYR", put: true, want: 100},
		{name: "put of an older generation is dropped", country: "IRQ", put: true, clear: true, want: 7},
	}
	for _, s := range steps {
		mu.Lock()
		clock = clock.Add(s.advance)
		mu.Unlock()
		if s.wait {
			c.wait()
		}
		gen := c.generation()
		if s.clear {
			c.clear()
		}
		if s.put {
			c.put(gen, map[statsKey][]event.Period{{f: event.Filter{Country: s.country}}: {{Events: 100}}})
		}
		if got := get(s.country); got != s.want {
			t.Errorf("%s: get(%s) = load %d, want load %d", s.name, s.country, got, s.want)
		}
	}
	c.wait()
}

func TestOpenAPIDocument(t *testing.T) {
	ta := sampleAPI(t, Deps{})
	w := scenario{path: "/api/v1/openapi.json", wantStatus: 200}.run(t, ta)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	// Every guarded API route is documented, and nothing else.
	var want, got []string
	for _, rt := range ta.Routes().All() {
		if strings.HasPrefix(rt.Pattern, Prefix) && !rt.Public {
			want = append(want, rt.Method+" "+rt.Pattern)
		}
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			got = append(got, strings.ToUpper(m)+" "+p)
		}
	}
	less := func(a, b string) bool { return a < b }
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(less)); diff != "" {
		t.Errorf("documented operations vs route table (-routes +openapi):\n%s", diff)
	}
}
