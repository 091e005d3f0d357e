package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
)

//go:embed static
var staticFS embed.FS

// assetVersions maps each static file to a short hash of its content, so
// that pages can link to "/static/style.css?v=…" and browsers may cache
// the file for as long as it does not change.
var assetVersions = func() map[string]string {
	m := map[string]string{}
	fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[p[len("static/"):]] = hex.EncodeToString(sum[:6])
		return nil
	})
	return m
}()

// assetURL returns the versioned URL of a static file.
func assetURL(name string) string {
	return "/static/" + name + "?v=" + assetVersions[name]
}

// reportWorker is the field report form's service worker, served at
// /static/report-sw.js and allowed the scope /report.
const reportWorker = "report-sw.js"

// staticFiles serves the embedded static directory under /static/.
func staticFiles() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the directory is embedded: it exists
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Clean(r.URL.Path[len("/static/"):])
		v, ok := assetVersions[name]
		if !ok {
			http.NotFound(w, r) // no directory listings
			return
		}
		switch {
		case name == reportWorker:
			// The report form's service worker (report.js registers it
			// with scope /report, outside its directory): browsers check
			// it for updates on every visit.
			w.Header().Set("Service-Worker-Allowed", "/report")
			w.Header().Set("Cache-Control", "no-cache")
		case r.URL.Query().Get("v") == v:
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		default:
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}
