// Package feed ingests a continuous event feed: GDELT 2.0's 15-minute
// export files (YYYYMMDDHHMMSS.export.CSV.zip), found in a watched
// directory or in a listing polled over HTTP (GDELT's lastupdate.txt or
// masterfilelist.txt: "<size> <md5> <url>" a line).
//
// Every file found is recorded in the database (Store) and moves pending
// → ingesting → done, or → failed and retried with backoff. Files are
// ingested one at a time in name (that is, time) order, exactly once:
// a process claims a file under a lease it renews while it works; a
// process that dies leaves the lease to end, and the next Poll, in this
// process or another, claims the file again. A file is done only once its
// events are stored and the AfterIngest hook (the warning pipeline) has
// run; a retry re-ingests it, which stores nothing twice (ingest matches
// rows by source id and hash) and tells the hook what the interrupted
// attempt changed too. A failed file does not hold back newer ones.
//
// A file is checked whole before any row is stored: the listed size and
// MD5 for a download, and every zip entry read to its end, which checks
// its CRC-32. A truncated or corrupt file therefore fails with nothing
// stored, never half-counted, and is tried again later (a directory file
// still being copied in is such a file).
package feed

import (
	"archive/zip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"threshold/internal/geo"
	"threshold/internal/ingest"
)

// Defaults for Config's zero fields.
const (
	DefaultLease     = 5 * time.Minute
	DefaultRetryBase = time.Minute
	DefaultRetryMax  = time.Hour
	// DefaultMaxAttempts gives a file some 19 hours of retries.
	DefaultMaxAttempts = 24
	// DefaultMaxGap is how many missing 15-minute files a listing's gap
	// is filled with: four days.
	DefaultMaxGap = 4 * 24 * 4
)

// Config configures a Feed. Dir or URL (or both) is required.
type Config struct {
	Store Store
	// Dir is a directory watched for export files.
	Dir string
	// URL is a listing polled for export files: GDELT's
	// http://data.gdeltproject.org/gdeltv2/lastupdate.txt, or
	// masterfilelist.txt to backfill.
	URL string

	// AfterIngest, if set, is told what each file's ingest changed (for
	// the warning pipeline: indicators, rules, alerts). An error fails
	// the file, which is retried; a retry passes the changes of the
	// interrupted attempts too. sum.Touched may be empty.
	AfterIngest func(ctx context.Context, f File, sum ingest.Summary) error

	// Lease is how long a claim on a file lasts unless renewed; it is
	// renewed every Lease/3 while the file is ingested. A process that
	// dies holds its file this long.
	Lease time.Duration
	// RetryBase is the wait before a failed file's first retry; it
	// doubles at each attempt up to RetryMax.
	RetryBase, RetryMax time.Duration
	// MaxAttempts is how many times a file is tried before the feed
	// gives up on it (it stays failed, listed by --status).
	MaxAttempts int
	// MaxGap bounds how many files missing between the newest file
	// recorded and one a listing offers (lastupdate.txt names only the
	// newest: a server down for an hour misses four) are inferred and
	// fetched from the listed file's directory; negative disables it.
	// A longer outage is backfilled with masterfilelist.txt.
	MaxGap int
	// WorkDir holds downloads and unzipped files while they are
	// ingested; "" is os.TempDir.
	WorkDir string
	// Claimer names this process in claims; "" is host-pid-random.
	Claimer string
	// BatchSize is rows per ingest transaction; 0 is ingest's default.
	BatchSize int

	HTTPClient *http.Client     // nil: a client with a 10-minute timeout
	Now        func() time.Time // nil: time.Now
	Log        *slog.Logger     // nil discards
}

// Feed polls its sources and ingests what they offer.
type Feed struct {
	cfg       Config
	dirSource string // the Source of directory files: "dir:" + absolute path
	geo       *geo.Table
	log       *slog.Logger
}

// New checks cfg and returns a Feed.
func New(cfg Config) (*Feed, error) {
	if cfg.Store == nil {
		return nil, errors.New("feed: no store")
	}
	if cfg.Dir == "" && cfg.URL == "" {
		return nil, errors.New("feed: no directory and no URL to poll")
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = DefaultRetryBase
	}
	if cfg.RetryMax < cfg.RetryBase {
		cfg.RetryMax = max(DefaultRetryMax, cfg.RetryBase)
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.MaxGap == 0 {
		cfg.MaxGap = DefaultMaxGap
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = os.TempDir()
	}
	if cfg.Claimer == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		cfg.Claimer = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Minute}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	f := &Feed{cfg: cfg, log: cfg.Log}
	if cfg.Dir != "" {
		abs, err := filepath.Abs(cfg.Dir)
		if err != nil {
			return nil, fmt.Errorf("feed: %w", err)
		}
		f.cfg.Dir, f.dirSource = abs, "dir:"+abs
	}
	g, err := geo.Load()
	if err != nil {
		return nil, err
	}
	f.geo = g
	return f, nil
}

// Result says what a Poll did.
type Result struct {
	Found  int    // export files the sources offered
	Added  int    // of which new to the feed table
	Done   []File // files ingested, in order
	Failed []File // files that failed, with their errors
}

// Poll records the files the sources offer, then ingests every file due,
// oldest first, until none is left or another process holds one. A file
// that fails is recorded as failed and Poll goes on; the error returned
// is for the sources (a listing that could not be fetched, after the due
// files were ingested) and the database.
func (f *Feed) Poll(ctx context.Context) (Result, error) {
	var res Result
	found, derr := f.discover(ctx)
	if derr != nil {
		f.log.WarnContext(ctx, "feed: list sources", "err", derr)
	}
	res.Found = len(found)
	if len(found) > 0 {
		n, err := f.cfg.Store.AddFeedFiles(ctx, found, f.cfg.Now())
		if err != nil {
			return res, fmt.Errorf("feed: %w", err)
		}
		res.Added = n
	}
	for ctx.Err() == nil {
		file, ok, err := f.cfg.Store.ClaimFeedFile(ctx, f.cfg.Claimer, f.cfg.Now(), f.cfg.Lease)
		if err != nil {
			return res, errors.Join(derr, fmt.Errorf("feed: %w", err))
		}
		if !ok {
			break
		}
		done, err := f.process(ctx, file)
		if err != nil {
			return res, errors.Join(derr, err)
		}
		if done.State == Done {
			res.Done = append(res.Done, done)
		} else {
			res.Failed = append(res.Failed, done)
		}
	}
	return res, errors.Join(derr, ctx.Err())
}

// Run polls at once and then every interval until ctx ends.
func (f *Feed) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := f.Poll(ctx); err != nil && ctx.Err() == nil {
			f.log.WarnContext(ctx, "feed: poll", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// process ingests one claimed file and records the outcome. It returns
// the file as recorded, Done or Failed; the error is for the database
// (the outcome could not be recorded) or a lost claim.
func (f *Feed) process(ctx context.Context, file File) (File, error) {
	log := f.log.With("file", file.Name, "attempt", file.Attempts)
	log.InfoContext(ctx, "feed: ingesting")
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopRenew := f.renew(ctx, file, cancel)
	sha, sum, err := f.ingest(ctx, file)
	stopRenew()
	if lost := context.Cause(ctx); errors.Is(lost, ErrClaimLost) {
		return file, lost
	}
	rec := context.WithoutCancel(ctx) // record the outcome even when stopping
	now := f.cfg.Now()
	if err != nil {
		next, reason := now.Add(f.backoff(file.Attempts)), err.Error()
		switch {
		case ctx.Err() != nil:
			next = now // interrupted, not at fault: due again at once
		case file.Attempts >= f.cfg.MaxAttempts:
			next, reason = time.Time{}, fmt.Sprintf("%s (gave up after %d attempts)", reason, file.Attempts)
		}
		file.State, file.Error, file.NextAttempt, file.SHA256 = Failed, reason, next, sha
		log.WarnContext(ctx, "feed: file failed", "err", reason, "retry_at", next)
		if ferr := f.cfg.Store.FailFeedFile(rec, file.ID, f.cfg.Claimer, sha, reason, next, now); ferr != nil {
			return file, fmt.Errorf("feed: record failure of %s: %w", file.Name, ferr)
		}
		return file, nil
	}
	file.State, file.Counts, file.SHA256, file.FinishedAt = Done, sum.Counts, sha, now
	if err := f.cfg.Store.FinishFeedFile(rec, file.ID, f.cfg.Claimer, sha, sum.Counts, now); err != nil {
		return file, fmt.Errorf("feed: record %s done: %w", file.Name, err)
	}
	log.InfoContext(ctx, "feed: ingested", "read", sum.Read, "inserted", sum.Inserted, "updated", sum.Updated,
		"unchanged", sum.Unchanged, "rejected", sum.Rejected)
	return file, nil
}

// renew renews the claim on file every Lease/3 until stopped; when the
// claim is lost it cancels the ingest with ErrClaimLost.
func (f *Feed) renew(ctx context.Context, file File, cancel context.CancelCauseFunc) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(f.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			err := f.cfg.Store.RenewFeedClaim(ctx, file.ID, f.cfg.Claimer, f.cfg.Now().Add(f.cfg.Lease))
			if errors.Is(err, ErrClaimLost) {
				cancel(err)
				return
			}
			if err != nil && ctx.Err() == nil {
				f.log.WarnContext(ctx, "feed: renew claim", "file", file.Name, "err", err)
			}
		}
	}()
	return func() { close(quit); <-done }
}

// backoff is the wait after a file's attempt-th failure.
func (f *Feed) backoff(attempt int) time.Duration {
	d := f.cfg.RetryBase
	for i := 1; i < attempt && d < f.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, f.cfg.RetryMax)
}

// ingest fetches, checks, unzips and ingests one file, then runs the
// AfterIngest hook. It returns the SHA-256 of the file's bytes.
func (f *Feed) ingest(ctx context.Context, file File) (string, ingest.Summary, error) {
	dir, err := os.MkdirTemp(f.cfg.WorkDir, "threshold-feed-")
	if err != nil {
		return "", ingest.Summary{}, fmt.Errorf("feed: %w", err)
	}
	defer os.RemoveAll(dir)
	path, err := f.fetch(ctx, file, filepath.Join(dir, file.Name))
	if err != nil {
		return "", ingest.Summary{}, err
	}
	sha, err := fileSHA256(path)
	if err != nil {
		return "", ingest.Summary{}, fmt.Errorf("feed: %s: %w", file.Name, err)
	}
	streams, err := unzip(path, dir)
	if err != nil {
		return sha, ingest.Summary{}, fmt.Errorf("feed: %s: %w", file.Name, err)
	}
	paths := make([]string, len(streams))
	for i, s := range streams {
		paths[i] = s.path
	}
	sum, err := ingest.Files(ctx, f.cfg.Store, paths, ingest.Options{Geo: f.geo, Now: f.cfg.Now, Log: f.log, BatchSize: f.cfg.BatchSize})
	if err != nil {
		return sha, sum, fmt.Errorf("feed: %s: %w", file.Name, err)
	}
	if f.cfg.AfterIngest == nil {
		return sha, sum, nil
	}
	if file.Attempts > 1 {
		// An earlier attempt may have stored events and died before the
		// hook ran; re-ingesting them changed nothing, so ask the store.
		for _, s := range streams {
			t, err := f.cfg.Store.IngestedTouched(ctx, s.sha256)
			if err != nil {
				return sha, sum, fmt.Errorf("feed: %s: %w", file.Name, err)
			}
			sum.Touched.Merge(t)
		}
	}
	if err := f.cfg.AfterIngest(ctx, file, sum); err != nil {
		return sha, sum, fmt.Errorf("feed: %s: ingested, but after the ingest: %w", file.Name, err)
	}
	return sha, sum, nil
}

// stream is one zip entry unzipped.
type stream struct {
	path   string
	sha256 string // of its bytes, as ingest records the stream
}

// unzip extracts every regular entry of the zip at path into dir, reading
// each to its end so that a truncated or corrupt archive fails here, with
// nothing ingested.
func unzip(path, dir string) ([]stream, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("open zip: %w", err)
	}
	defer zr.Close()
	var out []stream
	for _, e := range zr.File {
		base := filepath.Base(e.Name)
		if e.FileInfo().IsDir() || strings.HasPrefix(e.Name, "__MACOSX/") || strings.HasPrefix(base, ".") {
			continue
		}
		s, err := extract(e, filepath.Join(dir, base))
		if err != nil {
			return nil, fmt.Errorf("zip entry %s: %w", e.Name, err)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.New("zip archive holds no files")
	}
	return out, nil
}

func extract(e *zip.File, dst string) (stream, error) {
	rc, err := e.Open()
	if err != nil {
		return stream{}, err
	}
	defer rc.Close()
	out, err := os.Create(dst)
	if err != nil {
		return stream{}, err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), rc) // zip checks the CRC-32 at the end
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return stream{}, err
	}
	return stream{path: dst, sha256: hex.EncodeToString(h.Sum(nil))}, nil
}

func fileSHA256(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
