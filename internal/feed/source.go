package feed

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// discover lists the export files a source offers now.
func (f *Feed) discover(ctx context.Context) ([]File, error) {
	var out []File
	if f.cfg.Dir != "" {
		files, err := f.listDir()
		if err != nil {
			return nil, err
		}
		out = append(out, files...)
	}
	if f.cfg.URL != "" {
		files, err := f.listURL(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, files...)
	}
	return out, nil
}

// listDir lists the export files in the watched directory.
func (f *Feed) listDir() ([]File, error) {
	entries, err := os.ReadDir(f.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("feed: list %s: %w", f.cfg.Dir, err)
	}
	var out []File
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsExportName(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed since listed
		}
		out = append(out, File{Source: f.dirSource, Name: e.Name(), Location: filepath.Join(f.cfg.Dir, e.Name()), Size: info.Size()})
	}
	return out, nil
}

// listURL fetches and parses the listing at Config.URL.
func (f *Feed) listURL(ctx context.Context) ([]File, error) {
	body, err := f.get(ctx, f.cfg.URL)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	ls, err := ParseList(f.cfg.URL, io.LimitReader(body, maxListing))
	if err != nil {
		return nil, fmt.Errorf("feed: %w", err)
	}
	var listed []File
	for _, l := range ls {
		if name := l.Name(); IsExportName(name) {
			listed = append(listed, File{Source: f.cfg.URL, Name: name, Location: l.URL, Size: l.Size, MD5: l.MD5})
		}
	}
	if f.cfg.MaxGap < 0 || len(listed) == 0 {
		return listed, nil
	}
	// Fill the gaps between the newest file recorded and the files
	// listed, and between listed files, per stream (export, translation).
	slices.SortFunc(listed, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	latest, err := f.cfg.Store.LatestFeedFile(ctx, f.cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("feed: %w", err)
	}
	prev := map[string]string{} // stream suffix → newest name
	if latest != "" {
		prev[latest[14:]] = latest
	}
	var out []File
	for _, l := range listed {
		if p := prev[l.Name[14:]]; p != "" && p < l.Name {
			out = append(out, f.gap(ctx, p, l)...)
		}
		out = append(out, l)
		prev[l.Name[14:]] = max(prev[l.Name[14:]], l.Name)
	}
	return out, nil
}

// gap returns the 15-minute files between the names prev and next's,
// at most MaxGap (the newest), to fetch from next's directory. Their
// size and MD5 are unknown.
func (f *Feed) gap(ctx context.Context, prev string, next File) []File {
	from, err1 := time.Parse(stampLayout, prev[:14])
	to, err2 := time.Parse(stampLayout, next.Name[:14])
	if err1 != nil || err2 != nil {
		return nil
	}
	n := int(to.Sub(from)/gdeltInterval) - 1
	if n <= 0 {
		return nil
	}
	if n > f.cfg.MaxGap {
		f.log.WarnContext(ctx, "feed: gap longer than MaxGap; backfill the rest from masterfilelist.txt",
			"after", prev, "before", next.Name, "missing", n, "fetched", f.cfg.MaxGap)
		n = f.cfg.MaxGap
	}
	dir := next.Location[:strings.LastIndex(next.Location, "/")+1]
	out := make([]File, 0, n)
	for i := n; i >= 1; i-- {
		name := to.Add(-time.Duration(i)*gdeltInterval).Format(stampLayout) + next.Name[14:]
		out = append(out, File{Source: next.Source, Name: name, Location: dir + name})
	}
	return out
}

// GDELT 2.0 publishes a file every 15 minutes, named by its UTC time.
const (
	gdeltInterval = 15 * time.Minute
	stampLayout   = "20060102150405"
)

// maxListing bounds a listing: GDELT's masterfilelist.txt, every file since
// 2015, is some 200 MB.
const maxListing = 1 << 30

// get GETs url and returns the body of a 200 answer.
func (f *Feed) get(ctx context.Context, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("feed: %w", err)
	}
	req.Header.Set("User-Agent", "threshold")
	resp, err := f.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("feed: get %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("feed: get %s: %s", url, resp.Status)
	}
	return resp.Body, nil
}

// fetch copies a file's bytes to dst (a path in the work directory) and
// checks them against the size and MD5 listed. A directory file is read
// in place: dst is then unused and the path returned is the file's own.
func (f *Feed) fetch(ctx context.Context, file File, dst string) (string, error) {
	var (
		src  io.ReadCloser
		path = dst
	)
	if file.Source == f.dirSource {
		return file.Location, nil
	}
	if !strings.HasPrefix(file.Location, "http://") && !strings.HasPrefix(file.Location, "https://") {
		return "", fmt.Errorf("feed: %s: location %q is not a URL", file.Name, file.Location)
	}
	src, err := f.get(ctx, file.Location)
	if err != nil {
		return "", err
	}
	defer src.Close()
	out, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("feed: %w", err)
	}
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(out, h), src)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("feed: download %s: %w", file.Location, err)
	}
	if file.Size > 0 && n != file.Size {
		return "", fmt.Errorf("feed: download %s: %d bytes, the listing says %d", file.Location, n, file.Size)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); file.MD5 != "" && sum != file.MD5 {
		return "", fmt.Errorf("feed: download %s: MD5 %s, the listing says %s", file.Location, sum, file.MD5)
	}
	return path, nil
}
