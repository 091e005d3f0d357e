package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// Defaults.
const (
	PageSize     = 1000  // events or indicators read per query
	RowGroupRows = 65536 // Parquet rows per row group
)

// Options tune an export; zero fields take the defaults.
type Options struct {
	PageSize     int // rows read per query (default PageSize)
	RowGroupRows int // Parquet rows per row group (default RowGroupRows)
}

func (o Options) withDefaults() Options {
	if o.PageSize <= 0 {
		o.PageSize = PageSize
	}
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = RowGroupRows
	}
	return o
}

// Result says what an export wrote.
type Result struct {
	Rows    int // rows (GeoJSON: features) written
	Omitted int // events left out of GeoJSON for want of coordinates
}

// kind is how a column's text is typed in JSON.
type kind int

const (
	text   kind = iota // a JSON string
	number             // a JSON number, written as its text
	boolean
)

// column is one column of a table: its name (the CSV header, the
// GeoJSON property and the Parquet field), its HXL hashtag, and its
// value as text, "" for none.
type column[R any] struct {
	name, tag string
	kind      kind
	text      func(*R) string
}

// sink writes rows of one table in one format. close completes the file;
// after an error the output is incomplete and close need not be called.
type sink[R any] interface {
	write(r *R) error
	close() error
}

// csvSink writes CSV, with the HXL hashtag row under the header when hxl
// is set.
type csvSink[R any] struct {
	w    *csv.Writer
	cols []column[R]
	rec  []string // reused for every row
}

func newCSVSink[R any](w io.Writer, cols []column[R], hxl bool) (*csvSink[R], error) {
	s := &csvSink[R]{w: csv.NewWriter(w), cols: cols, rec: make([]string, len(cols))}
	for i, c := range cols {
		s.rec[i] = c.name
	}
	if err := s.w.Write(s.rec); err != nil {
		return nil, fmt.Errorf("write header: %w", err)
	}
	if hxl {
		for i, c := range cols {
			s.rec[i] = c.tag
		}
		if err := s.w.Write(s.rec); err != nil {
			return nil, fmt.Errorf("write hashtags: %w", err)
		}
	}
	return s, nil
}

func (s *csvSink[R]) write(r *R) error {
	for i, c := range s.cols {
		s.rec[i] = c.text(r)
		if c.kind == text {
			s.rec[i] = defuse(s.rec[i])
		}
	}
	return s.w.Write(s.rec)
}

// defuse keeps a text cell from being taken for a formula by a
// spreadsheet (CSV injection): text from sources and field reports that
// starts with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe, which spreadsheets hide and read as "this is text". Number
// columns are written as they are, so negative numbers stay numbers.
func defuse(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (s *csvSink[R]) close() error {
	s.w.Flush()
	return s.w.Error()
}

// parquetSink writes Parquet through parquet-go's typed writer, whose
// schema comes from R's parquet tags. Rows are handed over in small
// batches; the writer holds at most one row group.
type parquetSink[R any] struct {
	w   *parquet.GenericWriter[R]
	buf []R
}

// parquetBatch is how many rows parquetSink hands the writer at once.
const parquetBatch = 256

func newParquetSink[R any](w io.Writer, rowGroupRows int) *parquetSink[R] {
	return &parquetSink[R]{
		w: parquet.NewGenericWriter[R](w,
			parquet.MaxRowsPerRowGroup(int64(rowGroupRows)),
			parquet.Compression(&zstd.Codec{}),
			parquet.PageBufferSize(64<<10),
			parquet.CreatedBy("threshold", "", "")),
		buf: make([]R, 0, parquetBatch),
	}
}

func (s *parquetSink[R]) write(r *R) error {
	s.buf = append(s.buf, *r)
	if len(s.buf) == cap(s.buf) {
		return s.flush()
	}
	return nil
}

func (s *parquetSink[R]) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("write parquet rows: %w", err)
	}
	clear(s.buf) // drop references to the rows' strings
	s.buf = s.buf[:0]
	return nil
}

func (s *parquetSink[R]) close() error {
	if err := s.flush(); err != nil {
		return err
	}
	if err := s.w.Close(); err != nil {
		return fmt.Errorf("close parquet: %w", err)
	}
	return nil
}

// appendProperties appends r's non-empty columns to b as the members of
// a JSON object, without the braces.
func appendProperties[R any](b *bytes.Buffer, cols []column[R], r *R) error {
	n := 0
	for _, c := range cols {
		v := c.text(r)
		if v == "" {
			continue // optional and absent: left out, as in the API
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		b.WriteString(strconv.Quote(c.name)) // names are ASCII identifiers
		b.WriteByte(':')
		switch c.kind {
		case number, boolean:
			b.WriteString(v)
		default:
			q, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("property %s: %w", c.name, err)
			}
			b.Write(q)
		}
	}
	return nil
}
