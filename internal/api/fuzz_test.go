package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAPIRequest sends arbitrary methods, paths, query strings, content
// types and bodies under /api/v1/ to the API, as an admin with a write
// token: whatever comes in, the answer is never a 5xx, and nothing
// panics.
func FuzzAPIRequest(f *testing.F) {
	seeds := []struct{ method, target, contentType, body string }{
		{"GET", "events?country=CAF&limit=2", "", ""},
		{"GET", "events?country=caf&from=2013-12&to=2013-12&category=battle&source=ucdp-ged", "", ""},
		{"GET", "events?admin1=%27%3B%20DROP%20TABLE%20events%3B--&cursor=MjA", "", ""},
		{"GET", "events?limit=-1&cursor=%ff%fe", "", ""},
		{"GET", "events.geojson?limit=10000&country=CAF", "", ""},
		{"GET", "events/ucdp-ged/22782", "", ""},
		{"GET", "events/gdelt/..%2f..%2fetc%2fpasswd", "", ""},
		{"GET", "stats?by=admin1-month&from=2013&to=2012", "", ""},
		{"GET", "stats?by=country-week&from=9999-99-99", "", ""},
		{"GET", "rejects?file=x&limit=1000&cursor=OTk5OTk5OTk5OTk5OTk5OTk5OQ", "", ""},
		{"POST", "events", "application/json", `{"country": "CAF"`},
		{"POST", "ingest", "application/json", `{"broken": `},
		{"POST", "ingest?strict=true&format=gdelt", "multipart/form-data; boundary=b",
			"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../x.csv\"\r\n\r\na,b\n1,2\n\r\n--b--\r\n"},
		{"POST", "ingest", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"e.csv.gz\"\r\n\r\n\x1f\x8b\x08\r\n--b--\r\n"},
		{"POST", "ingest", "multipart/form-data", "no boundary"},
		{"DELETE", "events/ucdp-ged/1", "", ""},
		{"GET", "openapi.json", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.contentType, s.body)
	}
	ta := sampleAPI(f, Deps{MaxUpload: 1 << 16})
	f.Fuzz(func(t *testing.T, method, target, contentType, body string) {
		r, err := http.NewRequest(method, "http://threshold.test"+Prefix+"/"+target, strings.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		r.RequestURI = r.URL.RequestURI()
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		r.Header.Set("Authorization", "Bearer "+admin)
		w := httptest.NewRecorder()
		ta.ServeHTTP(w, r)
		if w.Code >= 500 {
			b, _ := io.ReadAll(w.Body)
			t.Errorf("%s %s (Content-Type %q, %d-byte body): status %d\n%s", method, r.URL, contentType, len(body), w.Code, b)
		}
	})
}
