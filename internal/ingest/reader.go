package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
)

// maxHeaderLine bounds how far detection reads looking for the end of the
// first line.
const maxHeaderLine = 1 << 20

// input is one stream of rows: a plain file, a gzip member or a zip entry.
type input struct {
	name string // base name without .gz; "archive.zip/entry.csv" for zip entries
	size int64  // bytes that open's counter will count in all, for progress
	// open opens the stream, adding the bytes read from disk (or, for zip
	// entries, decompressed) to n as it goes.
	open func(n *atomic.Int64) (io.ReadCloser, error)
}

// fileInputs lists the streams in the file at path: one for a plain or
// gzip file, one per regular entry for a zip archive.
func fileInputs(path string) ([]input, error) {
	base := filepath.Base(path)
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	lower := strings.ToLower(base)
	switch {
	case strings.HasSuffix(lower, ".zip"):
		zr, err := zip.OpenReader(path)
		if err != nil {
			return nil, fmt.Errorf("open zip: %w", err)
		}
		var ins []input
		for _, f := range zr.File {
			if f.FileInfo().IsDir() || strings.HasPrefix(f.Name, "__MACOSX/") || strings.HasPrefix(filepath.Base(f.Name), ".") {
				continue
			}
			ins = append(ins, input{
				name: base + "/" + f.Name,
				size: int64(f.UncompressedSize64),
				open: func(n *atomic.Int64) (io.ReadCloser, error) {
					if err := checkZipEntry(f); err != nil {
						return nil, err
					}
					rc, err := f.Open()
					if err != nil {
						return nil, err
					}
					return readCloser{countingReader{rc, n}, rc.Close}, nil
				},
			})
		}
		// The zip.ReadCloser stays open for the entries' lifetime; it is
		// closed with the process or when the caller drops it, and holds
		// only a file descriptor.
		if len(ins) == 0 {
			zr.Close()
			return nil, errors.New("zip archive holds no files")
		}
		return ins, nil
	case strings.HasSuffix(lower, ".gz"):
		return []input{{
			name: base[:len(base)-3],
			size: st.Size(),
			open: func(n *atomic.Int64) (io.ReadCloser, error) {
				f, err := os.Open(path)
				if err != nil {
					return nil, err
				}
				zr, err := gzip.NewReader(bufio.NewReader(countingReader{f, n}))
				if err != nil {
					f.Close()
					return nil, fmt.Errorf("open gzip: %w", err)
				}
				return readCloser{zr, func() error { zr.Close(); return f.Close() }}, nil
			},
		}}, nil
	default:
		return []input{{name: base, size: st.Size(), open: func(n *atomic.Int64) (io.ReadCloser, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			return readCloser{countingReader{f, n}, f.Close}, nil
		}}}, nil
	}
}

// checkZipEntry reads a zip entry through, checking its CRC-32, before
// any of its rows is stored: the archive records the checksum, and a
// corrupt entry would otherwise be found only at its end, after its
// first batches were committed. Decompressing twice costs little beside
// storing the rows.
func checkZipEntry(f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return fmt.Errorf("zip entry %s is corrupt, nothing of it stored: %w", f.Name, err)
	}
	return nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// fileSHA256 returns the hex SHA-256 of the file's bytes as stored.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// layout is what detection learned about a stream.
type layout struct {
	format Format
	comma  rune     // field separator
	header []string // nil for headerless formats
}

// detect reads the first line of br (without consuming it) and picks the
// format: forced by name if format is not "" or "auto", else a headerless
// format by its field count, else the first format whose Match accepts the
// header.
func detect(br *bufio.Reader, name, format string, f File) (layout, error) {
	line, err := peekLine(br)
	if err != nil {
		return layout{}, err
	}
	comma := separator(line)
	if format != "" && format != "auto" {
		ft, ok := FormatByName(format)
		if !ok {
			return layout{}, fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(FormatNames(), ", "))
		}
		if ft.Headerless {
			return layout{format: ft, comma: '\t'}, nil
		}
		hdr, err := parseHeader(line, comma)
		if err != nil {
			return layout{}, err
		}
		return layout{format: ft, comma: comma, header: hdr}, nil
	}
	if comma == '\t' {
		n := bytes.Count(line, []byte{'\t'}) + 1
		for _, ft := range Formats() {
			if ft.Headerless && containsInt(ft.FieldCounts, n) {
				return layout{format: ft, comma: '\t'}, nil
			}
		}
	}
	hdr, err := parseHeader(line, comma)
	if err != nil {
		return layout{}, err
	}
	f.Name, f.Columns = name, NewColumns(hdr)
	for _, ft := range Formats() {
		if ft.Match != nil && ft.Match(f) {
			return layout{format: ft, comma: comma, header: hdr}, nil
		}
	}
	shown := hdr
	if len(shown) > 8 {
		shown = append(shown[:8:8], "...")
	}
	return layout{}, fmt.Errorf("unrecognised format: %d columns [%s]; name one with --format (%s)",
		len(hdr), strings.Join(shown, ","), strings.Join(FormatNames(), ", "))
}

// FormatNames lists the names --format accepts.
func FormatNames() []string {
	var names []string
	for _, f := range Formats() {
		names = append(names, f.Name)
	}
	return names
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// peekLine returns the first line of br without consuming it. The line
// must fit in br's buffer.
func peekLine(br *bufio.Reader) ([]byte, error) {
	for n := 4096; ; n *= 2 {
		n = min(n, br.Size())
		buf, err := br.Peek(n)
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			return bytes.TrimRight(buf[:i], "\r"), nil
		}
		switch {
		case err == nil && n == br.Size(), errors.Is(err, bufio.ErrBufferFull):
			return nil, fmt.Errorf("first line is longer than %d bytes", br.Size())
		case err != nil: // EOF: the file is one line, or empty
			if len(buf) == 0 {
				return nil, errors.New("file is empty")
			}
			return bytes.TrimRight(buf, "\r"), nil
		}
	}
}

// separator guesses the field separator of a header or first row: the most
// frequent of tab, comma and semicolon outside double quotes.
func separator(line []byte) rune {
	var tabs, commas, semis int
	quoted := false
	for _, c := range line {
		switch c {
		case '"':
			quoted = !quoted
		case '\t':
			if !quoted {
				tabs++
			}
		case ',':
			if !quoted {
				commas++
			}
		case ';':
			if !quoted {
				semis++
			}
		}
	}
	switch {
	case tabs > commas && tabs >= semis:
		return '\t'
	case semis > commas:
		return ';'
	}
	return ','
}

func parseHeader(line []byte, comma rune) ([]string, error) {
	r := csv.NewReader(bytes.NewReader(line))
	r.Comma = comma
	r.LazyQuotes = true
	hdr, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	return hdr, nil
}

// rowReader yields the data rows of a stream with their line numbers and
// byte ranges.
type rowReader interface {
	// next returns the next row and the offset just past it. A row that
	// cannot be split into fields comes back with err set to a *FieldError
	// and the reader positioned after it; io.EOF ends the stream.
	next() (line int, end int64, fields []string, err error)
	// offset returns the stream offset where the next row starts.
	offset() int64
}

// csvRows reads RFC 4180 CSV (or TSV with quoting) after the header.
type csvRows struct{ r *csv.Reader }

func newCSVRows(r io.Reader, comma rune) (*csvRows, error) {
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	if _, err := cr.Read(); err != nil { // the header, already parsed by detect
		return nil, fmt.Errorf("read header: %w", err)
	}
	return &csvRows{r: cr}, nil
}

func (c *csvRows) offset() int64 { return c.r.InputOffset() }

func (c *csvRows) next() (int, int64, []string, error) {
	rec, err := c.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return pe.StartLine, c.r.InputOffset(), nil, &FieldError{Field: "row", Reason: "malformed CSV: " + pe.Err.Error()}
		}
		return 0, 0, nil, err
	}
	line, _ := c.r.FieldPos(0)
	return line, c.r.InputOffset(), rec, nil
}

// tsvRows splits lines on tabs with no quoting, as GDELT files need: a
// field may hold a lone double quote.
type tsvRows struct {
	s    *bufio.Scanner
	line int
	off  int64
}

func newTSVRows(r io.Reader) *tsvRows {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64*1024), maxHeaderLine)
	s.Split(scanLinesKeepEnd)
	return &tsvRows{s: s}
}

// scanLinesKeepEnd is bufio.ScanLines keeping the line end, so that byte
// offsets stay exact.
func scanLinesKeepEnd(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i+1], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

func (t *tsvRows) offset() int64 { return t.off }

func (t *tsvRows) next() (int, int64, []string, error) {
	for t.s.Scan() {
		t.line++
		tok := t.s.Bytes()
		t.off += int64(len(tok))
		text := strings.TrimRight(string(tok), "\r\n")
		if text == "" {
			continue
		}
		return t.line, t.off, strings.Split(text, "\t"), nil
	}
	if err := t.s.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return t.line + 1, t.off, nil, fmt.Errorf("line %d: longer than %d bytes", t.line+1, maxHeaderLine)
		}
		return 0, 0, nil, err
	}
	return 0, 0, nil, io.EOF
}

// SplitRow splits the raw bytes of one stored row into fields, the way
// the row was read: sep is the file's separator (",", ";", "\t") for CSV
// with quoting, or "tsv" for tab-separated lines without quoting.
func SplitRow(sep string, raw []byte) ([]string, error) {
	if sep == "tsv" {
		return strings.Split(strings.TrimRight(string(raw), "\r\n"), "\t"), nil
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	if sep != "" {
		r.Comma = []rune(sep)[0]
	}
	return r.Read()
}

// recorder keeps the bytes read through it from offset base on, so that
// the rows of a batch can be stored as they were in the file.
type recorder struct {
	r    io.Reader
	buf  []byte
	base int64 // stream offset of buf[0]
}

func (rc *recorder) Read(p []byte) (int, error) {
	n, err := rc.r.Read(p)
	rc.buf = append(rc.buf, p[:n]...)
	return n, err
}

// take returns a copy of the stream's bytes [from, to) and forgets every
// byte before to.
func (rc *recorder) take(from, to int64) []byte {
	out := bytes.Clone(rc.buf[from-rc.base : to-rc.base])
	rest := copy(rc.buf, rc.buf[to-rc.base:])
	rc.buf = rc.buf[:rest]
	rc.base = to
	return out
}

// skip forgets every byte before to.
func (rc *recorder) skip(to int64) {
	rest := copy(rc.buf, rc.buf[to-rc.base:])
	rc.buf = rc.buf[:rest]
	rc.base = to
}

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
