package panel

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"threshold/internal/geo"
)

// FileSummary is what importing one file did.
type FileSummary struct {
	Name      string  `json:"name"`
	Format    string  `json:"format,omitempty"`
	Dataset   string  `json:"dataset,omitempty"`
	Rows      int     `json:"rows"`     // data rows read
	Values    int     `json:"values"`   // values read from them
	Rejected  int     `json:"rejected"` // rows not stored, or stored in part
	Refused   string  `json:"refused,omitempty"`
	FirstYear int     `json:"first_year,omitempty"`
	LastYear  int     `json:"last_year,omitempty"`
	Seconds   float64 `json:"seconds"`
	Result
}

// Summary is what an import did, file by file and in total.
type Summary struct {
	Files     []FileSummary `json:"files"`
	Rows      int           `json:"rows"`
	Values    int           `json:"values"`
	Rejected  int           `json:"rejected"`
	Inserted  int           `json:"inserted"`
	Updated   int           `json:"updated"`
	Unchanged int           `json:"unchanged"`
	Seconds   float64       `json:"seconds"`
}

// Options configure Import.
type Options struct {
	Log *slog.Logger     // nil: discard
	Now func() time.Time // nil: time.Now
}

// Import reads and stores panel files (plain or .gz), each in one
// transaction. A file that cannot be read or is refused does not stop
// the others; the error joins every file's.
func Import(ctx context.Context, st Store, codes *geo.Table, paths []string, opts Options) (Summary, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	start := opts.Now()
	var (
		sum  Summary
		errs []error
	)
	for _, p := range paths {
		fs, err := importFile(ctx, st, codes, p, opts)
		sum.Files = append(sum.Files, fs)
		sum.Rows += fs.Rows
		sum.Values += fs.Values
		sum.Rejected += fs.Rejected
		sum.Inserted += fs.Inserted
		sum.Updated += fs.Updated
		sum.Unchanged += fs.Unchanged
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
	}
	sum.Seconds = opts.Now().Sub(start).Seconds()
	return sum, errors.Join(errs...)
}

func importFile(ctx context.Context, st Store, codes *geo.Table, path string, opts Options) (FileSummary, error) {
	start := opts.Now()
	name := filepath.Base(path)
	fs := FileSummary{Name: name}
	f, err := readPath(ctx, path, codes)
	if err != nil {
		return fs, err
	}
	fs.Format, fs.Dataset, fs.Rows, fs.Values, fs.Rejected = f.Format, f.Dataset, f.Rows, len(f.Values), len(f.Rejects)
	fs.FirstYear, fs.LastYear = f.FirstYear, f.LastYear
	if f.Refused != nil {
		fs.Refused = f.Refused.Error()
		fs.Seconds = opts.Now().Sub(start).Seconds()
		return fs, f.Refused
	}
	res, err := st.ImportPanel(ctx, f, opts.Now())
	fs.Result = res
	fs.Seconds = opts.Now().Sub(start).Seconds()
	if err != nil {
		return fs, err
	}
	if len(f.Rejects) > 0 && !res.Skipped {
		opts.Log.Warn("rows quarantined", "file", name, "count", len(f.Rejects),
			"first", (&RowError{File: name, Reject: f.Rejects[0]}).Error())
	}
	opts.Log.Info("imported", "file", name, "dataset", f.Dataset, "rows", f.Rows, "inserted", res.Inserted,
		"updated", res.Updated, "unchanged", res.Unchanged, "skipped", res.Skipped)
	return fs, nil
}

// readPath reads a file from disk, decompressing .gz.
func readPath(ctx context.Context, path string, codes *geo.Table) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var r io.Reader = fh
	name := filepath.Base(path)
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(fh)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		r = zr
	}
	return Read(ctx, r, name, codes)
}
