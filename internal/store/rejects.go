package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"threshold/internal/ingest"
)

// Reject is a quarantined row.
type Reject struct {
	File   string    `json:"file"`
	SHA256 string    `json:"sha256"`
	Line   int       `json:"line"`
	Field  string    `json:"field"`
	Reason string    `json:"reason"`
	Raw    []string  `json:"raw"`
	At     time.Time `json:"at"` // when first quarantined
}

// Rejects lists quarantined rows, by file and line. A file name, if given,
// keeps only that file's rows.
func (db *DB) Rejects(ctx context.Context, file string) ([]Reject, error) {
	q := `SELECT f.name, f.sha256, r.line, r.field, r.reason, r.raw, r.created_at
		FROM rejects r JOIN ingest_files f ON f.id = r.file_id`
	var args []any
	if file != "" {
		q += ` WHERE f.name = ?`
		args = append(args, file)
	}
	q += ` ORDER BY f.name, f.id, r.line`
	rows, err := db.read.QueryContext(ctx, db.d.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list rejects: %w", err)
	}
	defer rows.Close()
	out := []Reject{}
	for rows.Next() {
		var r Reject
		var raw, at any
		if err := rows.Scan(&r.File, &r.SHA256, &r.Line, &r.Field, &r.Reason, &raw, &at); err != nil {
			return nil, fmt.Errorf("list rejects: %w", err)
		}
		if err := json.Unmarshal(scanBytes(raw), &r.Raw); err != nil {
			return nil, fmt.Errorf("reject %s:%d: raw row: %w", r.File, r.Line, err)
		}
		if r.At, err = scanTime(at); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Version is a previous version of an event, replaced by a newer source
// record.
type Version struct {
	SourceVersion string    `json:"source_version"`
	Raw           []string  `json:"raw"`
	File          string    `json:"file"`
	Line          int       `json:"line"`
	StoredAt      time.Time `json:"stored_at"`
	ReplacedAt    time.Time `json:"replaced_at"`
}

// Versions lists the previous versions of event id, oldest first.
func (db *DB) Versions(ctx context.Context, id int64) ([]Version, error) {
	rows, err := db.read.QueryContext(ctx, db.d.rebind(`
		SELECT v.source_version, f.name, v.line, v.stored_at, v.replaced_at,
			v.file_id, v.raw_offset, v.raw_length, f.separator
		FROM event_versions v JOIN ingest_files f ON f.id = v.file_id
		WHERE v.event_id = ? ORDER BY v.id`), id)
	if err != nil {
		return nil, fmt.Errorf("event versions: %w", err)
	}
	defer rows.Close()
	var (
		out  []Version
		refs []rawRef
	)
	for rows.Next() {
		var v Version
		var ref rawRef
		var stored, replaced any
		if err := rows.Scan(&v.SourceVersion, &v.File, &v.Line, &stored, &replaced,
			&ref.fileID, &ref.offset, &ref.length, &ref.sep); err != nil {
			return nil, err
		}
		if v.StoredAt, err = scanTime(stored); err != nil {
			return nil, err
		}
		if v.ReplacedAt, err = scanTime(replaced); err != nil {
			return nil, err
		}
		out = append(out, v)
		refs = append(refs, ref)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	raw := newRawReader(db)
	for i, ref := range refs {
		b, err := raw.bytes(ctx, ref.fileID, ref.offset, ref.length)
		if err != nil {
			return nil, fmt.Errorf("event %d version %d: %w", id, i+1, err)
		}
		if out[i].Raw, err = ingest.SplitRow(ref.sep, b); err != nil {
			return nil, fmt.Errorf("event %d version %d: %w", id, i+1, err)
		}
	}
	return out, nil
}

// CountEvents returns the number of stored events.
func (db *DB) CountEvents(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}
