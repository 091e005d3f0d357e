package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"threshold/internal/audit"
	"threshold/internal/server"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"threshold/internal/auth"
	"threshold/internal/ingest"
)

// maxUploadFiles bounds the files of one upload.
const maxUploadFiles = 100

func (a *API) registerIngest() {
	handle(a, huma.Operation{
		OperationID: "ingest",
		Method:      http.MethodPost,
		Path:        Prefix + "/ingest",
		Summary:     "Ingest event data files",
		Description: "Ingests the uploaded files (multipart/form-data, one or more parts with a file name) " +
			"through the same pipeline as `threshold ingest` and answers with the same summary as " +
			"`threshold ingest --json`. Formats are detected from the header or the column count; .gz and " +
			".zip files are read directly. Bad rows are quarantined (see /api/v1/rejects) unless strict is " +
			"set, which fails on the first one and stores nothing of its file. Files before a file that fails " +
			"stay ingested. One ingest runs at a time; others wait.",
		Tags:   []string{"ingest"},
		Errors: []int{http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType},
	}, auth.AllowWrite(auth.Admin, auth.Analyst), limits{maxBody: a.deps.MaxUpload, timeout: a.deps.UploadTimeout}, a.ingestUpload)
	// The handler streams the body itself; a request body declared at
	// registration would have huma read and validate it first.
	a.huma.OpenAPI().Paths[Prefix+"/ingest"].Post.RequestBody = &huma.RequestBody{
		Required: true,
		Content: map[string]*huma.MediaType{"multipart/form-data": {Schema: &huma.Schema{
			Type: "object",
			Properties: map[string]*huma.Schema{
				"file": {Type: "array", Items: &huma.Schema{Type: "string", Format: "binary"},
					Description: "Event data files; each part's file name is kept, reduced to plain characters."},
			},
			Required: []string{"file"},
		}}},
	}
}

type ingestInput struct {
	Format formatName `query:"format" doc:"File format, or auto to detect it."`
	Strict bool       `query:"strict" doc:"Fail on the first bad row instead of quarantining it."`

	req *http.Request
}

// Resolve gives the handler the request, whose multipart body it streams
// to disk rather than have huma buffer it.
func (in *ingestInput) Resolve(ctx huma.Context) []error {
	in.req, _ = humago.Unwrap(ctx)
	return nil
}

type ingestOutput struct {
	Body ingest.Summary
}

func (a *API) ingestUpload(ctx context.Context, in *ingestInput) (*ingestOutput, error) {
	dir, err := os.MkdirTemp(a.deps.TempDir, "threshold-upload-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	paths, err := saveUploads(in.req, dir)
	if err != nil {
		return nil, err
	}
	select {
	case a.ingest <- struct{}{}:
		defer func() { <-a.ingest }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	format := string(in.Format)
	if format == "" {
		format = "auto"
	}
	sum, err := ingest.Files(ctx, taggedStore{a.st}, paths, ingest.Options{
		Format: format, Strict: in.Strict, Log: a.log, Now: a.now,
	})
	// Whatever was stored, even before a failure, changes the statistics.
	a.stats.clear()
	if werr := a.Warm(context.WithoutCancel(ctx)); werr != nil {
		a.log.WarnContext(ctx, "after ingest", "err", werr)
	}
	a.metrics.Ingested(sum)
	if len(sum.Touched) > 0 {
		if rerr := a.afterIngest(context.WithoutCancel(ctx), sum.Touched); rerr != nil {
			a.log.ErrorContext(ctx, "after an upload", "err", rerr)
			if err == nil {
				err = &storeError{fmt.Errorf("ingested, but %w", rerr)}
			}
		}
	}
	if aerr := a.auditIngest(ctx, in.req, paths, sum, err); aerr != nil {
		return nil, aerr
	}
	if err != nil {
		var se *storeError
		if errors.As(err, &se) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return nil, err
		}
		// The file is at fault: say why, in terms of the names the
		// client sent.
		msg := err.Error()
		for _, p := range paths {
			msg = strings.ReplaceAll(msg, p, filepath.Base(p))
		}
		return nil, huma.Error422UnprocessableEntity("could not ingest the upload: " + msg)
	}
	a.log.InfoContext(ctx, "ingested upload", "files", len(sum.Files), "read", sum.Read, "inserted", sum.Inserted,
		"updated", sum.Updated, "rejected", sum.Rejected)
	return &ingestOutput{Body: sum}, nil
}

// auditIngest records an upload's ingest, failed ones too, with who sent
// it and from where. An ingest that cannot be audited is an error:
// its data is stored, and the client is told it was not audited.
func (a *API) auditIngest(ctx context.Context, r *http.Request, paths []string, sum ingest.Summary, ingestErr error) error {
	if a.deps.Audit == nil {
		return nil
	}
	var names []string
	for _, f := range sum.Files {
		names = append(names, f.Name)
	}
	if ingestErr != nil { // a file that failed part-way may have stored whole batches
		names = names[:0]
		for _, p := range paths {
			names = append(names, filepath.Base(p))
		}
	}
	details := map[string]any{"summary": sum}
	if ingestErr != nil {
		details["error"] = ingestErr.Error()
	}
	e := audit.Entry{Actor: "anonymous", Action: "ingest", Object: strings.Join(names, ", "),
		Remote: server.RemoteHost(r), Details: details}
	if p := server.PrincipalFrom(ctx); p != nil {
		e.ActorID, e.Actor = p.UserID, p.Email
	}
	if err := a.deps.Audit.Record(context.WithoutCancel(ctx), e); err != nil {
		return fmt.Errorf("ingested but not audited: %w", err)
	}
	return nil
}

// saveUploads writes the request's files into dir, each in a directory of
// its own under a sanitised base name, and returns their paths in the
// order sent. Whatever a client puts in a file name, the file lands in
// dir.
func saveUploads(r *http.Request, dir string) ([]string, error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return nil, huma.Error415UnsupportedMediaType("send the files as multipart/form-data")
	}
	var paths []string
	save := func(name string, src io.Reader) error {
		if len(paths) == maxUploadFiles {
			return invalid("body", fmt.Sprintf("more than %d files in one upload", maxUploadFiles), nil)
		}
		sub := filepath.Join(dir, strconv.Itoa(len(paths)))
		if err := os.Mkdir(sub, 0o700); err != nil {
			return err
		}
		p := filepath.Join(sub, SanitizeFileName(name))
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, src)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return bodyError(err)
		}
		paths = append(paths, p)
		return nil
	}

	if r.MultipartForm != nil {
		// The server parsed the form already, looking for a CSRF token.
		fields := make([]string, 0, len(r.MultipartForm.File))
		for k := range r.MultipartForm.File {
			fields = append(fields, k)
		}
		slices.Sort(fields)
		for _, k := range fields {
			for _, fh := range r.MultipartForm.File[k] {
				src, err := fh.Open()
				if err != nil {
					return nil, err
				}
				err = save(fh.Filename, src)
				src.Close()
				if err != nil {
					return nil, err
				}
			}
		}
	} else {
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, bodyError(err)
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, bodyError(err)
			}
			if part.FileName() == "" { // a plain field
				if _, err := io.Copy(io.Discard, part); err != nil {
					return nil, bodyError(err)
				}
				continue
			}
			if err := save(part.FileName(), part); err != nil {
				return nil, err
			}
		}
	}
	if len(paths) == 0 {
		return nil, invalid("body.file", "no files: send one or more parts with a file name", nil)
	}
	return paths, nil
}

// bodyError turns a failure to read the request body into the client's
// error: too large, or malformed.
func bodyError(err error) error {
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return huma.Error413RequestEntityTooLarge(fmt.Sprintf("upload is larger than the limit of %d bytes", mb.Limit))
	case errors.Is(err, multipart.ErrMessageTooLarge):
		return huma.Error413RequestEntityTooLarge("multipart headers are too large")
	case errors.Is(err, os.ErrNotExist), errors.Is(err, os.ErrPermission), errors.Is(err, os.ErrExist):
		return err // the server's disk, not the client
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return err // writing the temporary file failed
	}
	return huma.Error400BadRequest("malformed multipart body: " + err.Error())
}

// SanitizeFileName reduces a client's file name to a plain base name:
// the last element of a path of either kind of separator, with letters,
// digits, '.', '-' and '_' kept, anything else replaced by '_', no
// leading dots, at most 128 bytes, never empty.
func SanitizeFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	b := make([]byte, 0, len(name))
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_':
			b = append(b, c)
		default:
			b = append(b, '_')
		}
	}
	s := strings.TrimLeft(string(b), ".")
	if len(s) > 128 {
		s = s[len(s)-128:] // keep the extensions, which say how to read the file
	}
	s = strings.TrimLeft(s, ".")
	if s == "" {
		s = "upload"
	}
	return s
}

// storeError marks a failure of the store during an ingest: the server's
// fault, not the file's.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

func tagStoreErr(err error) error {
	if err == nil {
		return nil
	}
	return &storeError{err}
}

// taggedStore and taggedWriter tag the store's errors, so that an ingest's
// error says whose fault it is.
type taggedStore struct{ st ingest.Store }

func (t taggedStore) BeginFile(ctx context.Context, f ingest.FileInfo, opts ingest.WriteOptions) (ingest.FileWriter, error) {
	w, err := t.st.BeginFile(ctx, f, opts)
	if err != nil {
		return nil, tagStoreErr(err)
	}
	return taggedWriter{w}, nil
}

type taggedWriter struct{ w ingest.FileWriter }

var _ ingest.Preparer = taggedWriter{}

func (t taggedWriter) Write(ctx context.Context, b *ingest.Batch) (ingest.Counts, error) {
	c, err := t.w.Write(ctx, b)
	return c, tagStoreErr(err)
}

func (t taggedWriter) Finish(ctx context.Context, total ingest.Counts) error {
	return tagStoreErr(t.w.Finish(ctx, total))
}

func (t taggedWriter) Close() error { return tagStoreErr(t.w.Close()) }

func (t taggedWriter) Touched() ingest.Touched { return t.w.Touched() }

// Prepare passes the pipeline's prepare step through, so that uploads
// build their rows on the decoding goroutines as the CLI's ingests do.
func (t taggedWriter) Prepare(b *ingest.Batch) {
	if p, ok := t.w.(ingest.Preparer); ok {
		p.Prepare(b)
	}
}

// afterIngest brings derived data up to date for what an upload changed:
// through Deps.Changes (indicators, rules, alerts) or Deps.Indicators.
func (a *API) afterIngest(ctx context.Context, t ingest.Touched) error {
	sp := t.Span()
	switch {
	case a.deps.Changes != nil:
		if _, err := a.deps.Changes.Changed(ctx, t.Countries(), sp.From, sp.To); err != nil {
			return fmt.Errorf("the indicators or alerts were not brought up to date: %w", err)
		}
	case a.deps.Indicators != nil:
		if _, err := a.deps.Indicators.Recompute(ctx, t.Countries(), sp.From, sp.To); err != nil {
			return fmt.Errorf("the indicators were not recomputed: %w", err)
		}
	}
	return nil
}

// Ingested tells the API of an ingest it did not serve (the feed): the
// statistics are recomputed and the ingest metrics count its rows.
func (a *API) Ingested(sum ingest.Summary) {
	a.stats.clear()
	a.metrics.Ingested(sum)
}
