package store

import (
	"context"
	"encoding/json"
	"fmt"

	"threshold/internal/event"
	"threshold/internal/ingest"
)

// rawRef locates a stored source row: a byte range of a file's stream,
// kept in ingest_blocks, and how the file's rows split into fields.
type rawRef struct {
	fileID int64
	offset int64
	length int
	sep    string
	header string // JSON array of column names
	format string // ingest format, which names headerless rows' columns
}

// rawReader reads source rows back from their blocks. It keeps the last
// few blocks decompressed, since events listed in id order mostly come
// from consecutive rows of the same file.
type rawReader struct {
	db      *DB
	blocks  []rawBlock // most recent last
	headers map[int64][]string
}

type rawBlock struct {
	fileID int64
	start  int64
	data   []byte // decompressed
}

const rawBlocksKept = 4

func newRawReader(db *DB) *rawReader {
	return &rawReader{db: db, headers: map[int64][]string{}}
}

// fill sets s.Raw and s.Columns from ref.
func (r *rawReader) fill(ctx context.Context, s *event.Stored, ref rawRef) error {
	b, err := r.bytes(ctx, ref.fileID, ref.offset, ref.length)
	if err != nil {
		return fmt.Errorf("event %d: source row: %w", s.ID, err)
	}
	if s.Raw, err = ingest.SplitRow(ref.sep, b); err != nil {
		return fmt.Errorf("event %d: source row: %w", s.ID, err)
	}
	cols, ok := r.headers[ref.fileID]
	if !ok {
		if err := json.Unmarshal([]byte(ref.header), &cols); err != nil {
			return fmt.Errorf("event %d: file header: %w", s.ID, err)
		}
		if len(cols) == 0 {
			cols = nil
		}
		r.headers[ref.fileID] = cols
	}
	s.Columns = cols
	if cols == nil { // headerless (GDELT): the codebook names the row's layout
		s.Columns = ingest.ColumnNames(ref.format, len(s.Raw))
	}
	return nil
}

// bytes returns the stream bytes [offset, offset+length) of a file.
func (r *rawReader) bytes(ctx context.Context, fileID, offset int64, length int) ([]byte, error) {
	end := offset + int64(length)
	for _, b := range r.blocks {
		if b.fileID == fileID && b.start <= offset && end <= b.start+int64(len(b.data)) {
			return b.data[offset-b.start : end-b.start], nil
		}
	}
	var (
		start int64
		data  []byte
	)
	err := r.db.read.QueryRowContext(ctx, r.db.d.rebind(`SELECT start_offset, data FROM ingest_blocks
		WHERE file_id = ? AND start_offset <= ? AND start_offset + length >= ?
		ORDER BY start_offset DESC LIMIT 1`), fileID, offset, end).Scan(&start, &data)
	if err != nil {
		return nil, fmt.Errorf("block of file %d at offset %d: %w", fileID, offset, r.db.mapErr(err))
	}
	raw, err := ingest.ReadBlock(data)
	if err != nil {
		return nil, err
	}
	if end-start > int64(len(raw)) {
		return nil, fmt.Errorf("block of file %d at offset %d is short", fileID, start)
	}
	if len(r.blocks) == rawBlocksKept {
		r.blocks = r.blocks[1:]
	}
	r.blocks = append(r.blocks, rawBlock{fileID: fileID, start: start, data: raw})
	return raw[offset-start : end-start], nil
}
