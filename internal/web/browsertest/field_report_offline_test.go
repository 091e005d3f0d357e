package browsertest

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"threshold/internal/auth"
	"threshold/internal/fieldreport"
	"threshold/internal/web/webtest"
)

// queuedOnPhone counts the reports waiting in the form's IndexedDB queue.
func queuedOnPhone(b *tab) int {
	b.t.Helper()
	return get(b, chromedp.Evaluate[int](`new Promise(function (resolve, reject) {
		var req = indexedDB.open("threshold-report", 1);
		req.onerror = function () { reject(req.error); };
		req.onsuccess = function () {
			var c = req.result.transaction("queue").objectStore("queue").count();
			c.onsuccess = function () { resolve(c.result); };
			c.onerror = function () { reject(c.error); };
		};
	})`, chromedp.EvalAwaitPromise))
}

// cutProxy stands between the browser and a site: while cut, every
// connection is dropped, so the page and its service worker both find the
// network gone (the tab's emulated offline state need not reach the
// worker). It counts the requests it drops.
type cutProxy struct {
	URL     string
	cut     atomic.Bool
	dropped atomic.Int64
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.cut.Load() {
			p.dropped.Add(1)
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.(*net.TCPConn).SetLinger(0)
					c.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// networkDown cuts (or restores) both the proxy and the tab.
func (p *cutProxy) networkDown(down bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		p.cut.Store(down)
		return chromedp.Do(ctx, offline(down))
	})
}

// pngWithMetadata is a synthetic 8x8 PNG carrying a tEXt chunk with a
// made-up GPS position, the kind of metadata the server must strip.
func pngWithMetadata(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{200, 30, 30, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	data := []byte("Comment\x00synthetic GPS 6.4833N 17.4500E")
	chunk := make([]byte, 0, 12+len(data))
	chunk = binary.BigEndian.AppendUint32(chunk, uint32(len(data)))
	chunk = append(chunk, "tEXt"...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	const ihdrEnd = 8 + 25 // signature, IHDR chunk
	out := append(append(append([]byte{}, b[:ihdrEnd]...), chunk...), b[ihdrEnd:]...)
	if _, err := png.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("synthetic PNG with metadata: %v", err)
	}
	return out
}

// TestFieldReportOfflineAttachment: at a phone's viewport, a report with
// a photo is sent with no connection; the page is reloaded while still
// offline and the service worker serves the form, which shows the report
// waiting and the new draft; when the connection returns the report
// arrives with its photo, stripped of its metadata by the server.
func TestFieldReportOfflineAttachment(t *testing.T) {
	b := browser(t)
	site := webtest.StartFieldReports(t)
	proxy := newCutProxy(t, site.URL)
	base := proxy.URL
	dir := shots(t)
	ctx := context.Background()
	photo := filepath.Join(t.TempDir(), "market.png")
	if err := os.WriteFile(photo, pngWithMetadata(t), 0o644); err != nil {
		t.Fatal(err)
	}

	b.do(
		chromedp.EmulateViewport(375, 740),
		chromedp.Navigate(base+"/login"),
		signIn(auth.PartnerViewer),
		chromedp.Navigate(base+"/report"),
		chromedp.WaitVisible(chromedp.CSS(`#report-form`)),
	)
	// The service worker takes the page and keeps its shell.
	waitTrue(b, `navigator.serviceWorker.ready.then(function () {
		return caches.match("/report").then(function (r) { return !!r && !!navigator.serviceWorker.controller; });
	})`, "the service worker taking the form and caching its shell")

	b.do(
		chromedp.SendKeys(chromedp.CSS(`#what`), "Synthetic test report with a photo: the market of Bossangoa burned"),
		chromedp.SendKeys(chromedp.CSS(`#country`), "CAF"),
		chromedp.SendKeys(chromedp.CSS(`#admin1`), "Ouham"),
		chromedp.SendKeys(chromedp.CSS(`#place`), "Bossangoa"),
		chromedp.SetValue(chromedp.CSS(`#category`), "violence-against-civilians"),
		chromedp.SetUploadFiles(chromedp.CSS(`#attachment`), []string{photo}),
	)
	waitTrue(b, `document.getElementById("attachment-note").textContent.indexOf("Kept on this phone: market.png") >= 0`, "the photo kept")
	b.do(
		proxy.networkDown(true),
		chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#report-status[data-state="queued"]`)),
		chromedp.SendKeys(chromedp.CSS(`#what`), "Synthetic second draft, not sent"),
	)
	if q := queuedOnPhone(b); q != 1 {
		t.Fatalf("%d reports queued on the phone, want 1", q)
	}
	size := get(b, chromedp.Evaluate[int](`new Promise(function (resolve) {
		indexedDB.open("threshold-report", 1).onsuccess = function (e) {
			var g = e.target.result.transaction("queue").objectStore("queue").getAll();
			g.onsuccess = function () { resolve(g.result[0].blob ? g.result[0].blob.size : 0); };
		};
	})`, chromedp.EvalAwaitPromise))
	if size == 0 {
		t.Errorf("the queued report holds no attachment")
	}

	// Reloaded with no network, the form comes from the service worker.
	before := proxy.dropped.Load()
	b.do(
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#report-form`)),
		chromedp.WaitVisible(chromedp.CSS(`#report-status[data-state="queued"]`)),
		screenshot(dir, "report-offline-reload"),
		chromedp.EmulateViewport(375, 740),
	)
	if proxy.dropped.Load() == before {
		t.Errorf("the offline reload reached the proxy's cut network not at all: was it offline?")
	}
	if st := b.text(`#report-status`); !strings.Contains(st, "1 report(s) kept on this phone") {
		t.Errorf("after the offline reload the status says %q", st)
	}
	if v := get(b, chromedp.Value(chromedp.CSS(`#what`))); v != "Synthetic second draft, not sent" {
		t.Errorf("after the offline reload the draft's text is %q", v)
	}
	if n := len(reportsOf(t, site)); n != 0 {
		t.Fatalf("%d reports arrived while offline", n)
	}

	b.do(
		proxy.networkDown(false),
		chromedp.WaitVisible(chromedp.CSS(`#report-status[data-state="sent"]`)),
	)
	rs := reportsOf(t, site)
	if len(rs) != 1 || rs[0].Place != "Bossangoa" || rs[0].Channel != "web" {
		t.Fatalf("after going online the service holds %+v", rs)
	}
	full, err := site.Reports.Get(ctx, fieldreport.Viewer{All: true}, rs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Attachments) != 1 || full.Attachments[0].Type != "image/png" {
		t.Fatalf("the report arrived with attachments %+v, want one PNG", full.Attachments)
	}
	_, data, err := site.DB.FieldReportAttachment(ctx, full.ID, full.Attachments[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("GPS")) || bytes.Contains(data, []byte("tEXt")) {
		t.Errorf("the stored photo still carries its metadata")
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("the stored photo is not a PNG: %v", err)
	}
	if q := queuedOnPhone(b); q != 0 {
		t.Errorf("%d reports still queued after sending", q)
	}
	if v := get(b, chromedp.Value(chromedp.CSS(`#what`))); v != "Synthetic second draft, not sent" {
		t.Errorf("sending the queue replaced the draft: %q", v)
	}

	// A stale session: the second report is queued offline, and the
	// session is gone (cookies cleared) when the connection returns. The
	// report stays on the phone and the page asks to sign in; once signed
	// in again, the form (with the new session's CSRF token) sends it.
	b.do(
		chromedp.SendKeys(chromedp.CSS(`#country`), "CAF"),
		chromedp.SetValue(chromedp.CSS(`#category`), "protest"),
		proxy.networkDown(true),
		chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#report-status[data-state="queued"]`)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, network.ClearBrowserCookies, cdp.Empty{})
			return err
		}),
		proxy.networkDown(false),
		chromedp.WaitVisible(chromedp.CSS(`#report-status[data-state="signin"]`)),
	)
	if q := queuedOnPhone(b); q != 1 {
		t.Errorf("signed out, %d reports kept on the phone, want 1", q)
	}
	if n := len(reportsOf(t, site)); n != 1 {
		t.Errorf("signed out, the service holds %d reports, want 1", n)
	}
	b.do(
		chromedp.Navigate(base+"/login"),
		signIn(auth.PartnerViewer),
		chromedp.Navigate(base+"/report"),
		chromedp.WaitVisible(chromedp.CSS(`#report-status[data-state="sent"]`)),
	)
	if rs := reportsOf(t, site); len(rs) != 2 || rs[0].What != "Synthetic second draft, not sent" {
		t.Errorf("signed in again, the service holds %+v", rs)
	}

	// Signed out, the sign-in page drops the form's offline copy, which
	// names the last user and holds their CSRF token.
	waitTrue(b, `caches.has("threshold-report-v1")`, "the form's offline copy")
	b.do(
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, network.ClearBrowserCookies, cdp.Empty{})
			return err
		}),
		chromedp.Navigate(base+"/login"),
	)
	waitTrue(b, `caches.has("threshold-report-v1").then(function (h) { return !h; })`, "the offline copy to be dropped at sign-in")
}

// waitTrue waits up to 15 s for a script (or its promise) to be true.
func waitTrue(b *tab, expr, what string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !get(b, chromedp.Evaluate[bool](expr, chromedp.EvalAwaitPromise)) {
		if time.Now().After(deadline) {
			b.t.Fatalf("waited 15 s for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func reportsOf(t *testing.T, site *webtest.FieldReportSite) []fieldreport.Report {
	t.Helper()
	rs, err := site.Reports.List(context.Background(), fieldreport.Viewer{All: true}, fieldreport.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}
