package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"threshold/internal/ingest"
)

// eventStage is the PostgreSQL session's temporary table that a batch of
// new events is copied into before one INSERT … SELECT moves them into
// events, when they cannot be copied into events directly. It has the
// columns of eventColumns with the types of events and no constraint or
// index, and it empties itself at every commit.
const eventStage = "threshold_event_stage"

// insertEventsPostgres stores new events on PostgreSQL with COPY, in its
// binary format, encoded here (copyRowPostgres) without a value boxed per
// field.
//
// The caller has decided which rows are new: none of their keys was stored
// when it looked. So the batch is copied straight into events, under a
// savepoint, which costs the server one pass over the rows instead of two,
// and no speculative insertion per row. Only another writer storing one of
// the keys since the lookup makes that COPY fail on the unique key; then
// the savepoint is rolled back and the batch goes the old way: COPY into
// eventStage and one INSERT … SELECT … ON CONFLICT DO NOTHING, which skips
// the other writer's event (the next ingest compares the two), exactly as
// before. An atomic writer, whose one transaction carries every batch of
// the file, always goes that way: a savepoint per batch would accumulate
// subtransactions, which slow every other session's snapshots past 64.
func (w *fileWriter) insertEventsPostgres(ctx context.Context, tx txn, recs []*ingest.Record, ts any) error {
	stamp, ok := ts.(time.Time)
	if !ok {
		return fmt.Errorf("postgres timestamp argument is %T, not time.Time", ts)
	}
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	data := append((*buf)[:0], copyHeader...)
	for _, r := range recs {
		data = w.copyRowPostgres(data, r, stamp)
	}
	data = append(data, 0xff, 0xff) // the trailer: a row of -1 fields
	*buf = data

	if !w.atomic {
		// The batch's transaction commits without waiting for its WAL to
		// reach the disk (synchronous_commit off, for this transaction
		// only); the WAL writer flushes it within a fraction of a second.
		// A crash of PostgreSQL (not of this process) in that window can
		// lose the last batches committed, never part of one, and never a
		// completed file: Finish commits synchronously, and flushing its
		// commit flushes every WAL record before it, these batches' too.
		// A file that lost batches has no completed_at, so the feed takes
		// it again and a re-run of an ingest stores what is missing,
		// finding the rest by key and hash, as after any interruption.
		// An atomic writer's one transaction is Finish's, and waits.
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off; SAVEPOINT threshold_copy`); err != nil {
			return fmt.Errorf("insert events from line %d: %w", recs[0].Line, err)
		}
		// Left unreleased on success: the commit releases it, one round
		// trip fewer.
		err := copyPostgres(ctx, tx, "events", data)
		if err == nil {
			return nil
		}
		if !w.db.d.conflict(err) {
			return fmt.Errorf("copy events from line %d: %w", recs[0].Line, err)
		}
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT threshold_copy`); err != nil {
			return fmt.Errorf("insert events from line %d: %w", recs[0].Line, err)
		}
	}

	cols := strings.Join(eventColumns, ", ")
	// A temporary table belongs to the session: the connection may be new
	// to this store, so create it when missing. ON COMMIT DELETE ROWS
	// empties it for the next batch; a rollback discards the rows anyway.
	_, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS `+eventStage+
		` ON COMMIT DELETE ROWS AS SELECT `+cols+` FROM events WITH NO DATA`)
	if err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	if err := copyPostgres(ctx, tx, eventStage, data); err != nil {
		return fmt.Errorf("copy events from line %d: %w", recs[0].Line, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO events (`+cols+`) SELECT `+cols+` FROM `+eventStage+
		` ON CONFLICT (source, source_id) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("insert events from line %d: %w", recs[0].Line, err)
	}
	if w.atomic { // its one transaction carries every batch of the file
		if _, err := tx.ExecContext(ctx, `TRUNCATE `+eventStage); err != nil {
			return fmt.Errorf("empty staging table: %w", err)
		}
	}
	return nil
}

// copyBufs holds the buffers batches are encoded into for COPY, about
// 300 bytes a row.
var copyBufs = sync.Pool{New: func() any { return new([]byte) }}

// copyHeader starts COPY's binary format: the signature, no flags, no
// header extension.
var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// copyPostgres sends data, rows of eventColumns in COPY's binary format,
// into table with one COPY.
func copyPostgres(ctx context.Context, tx txn, table string, data []byte) error {
	q := `COPY ` + pgx.Identifier{table}.Sanitize() + ` (` + strings.Join(eventColumns, ", ") + `) FROM STDIN (FORMAT binary)`
	return tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection %T is not pgx", dc)
		}
		_, err := c.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(data), q)
		return err
	})
}

// The epochs of PostgreSQL's binary dates (days) and timestamps
// (microseconds): 2000-01-01 UTC, in Unix seconds.
const postgresEpoch = 946684800

// copyRowPostgres appends r as one row of eventColumns in COPY's binary
// format: per row a field count, per field its length (-1 for NULL) and
// its bytes, in the types of the events columns. Text goes as it is, as
// pgx sent it before; the server checks its encoding.
func (w *fileWriter) copyRowPostgres(b []byte, r *ingest.Record, ts time.Time) []byte {
	e := &r.Event
	b = binary.BigEndian.AppendUint16(b, uint16(len(eventColumns)))
	b = copyText(b, string(e.Source))
	b = copyText(b, e.SourceID)
	b = copyText(b, e.Version)
	b = copyDate(b, e.DateStart)
	b = copyDate(b, e.DateEnd)
	b = copyInt32(b, int32(e.DatePrecision))
	b = copyText(b, e.Country)
	b = copyText(b, e.Admin1)
	b = copyText(b, e.Place)
	b = copyFloat(b, e.Latitude)
	b = copyFloat(b, e.Longitude)
	b = copyInt32(b, int32(e.GeoPrecision))
	b = copyText(b, string(e.Category))
	b = copyText(b, e.SourceType)
	b = copyText(b, e.SourceSubType)
	b = copyInt32(b, int32(e.QuadClass))
	b = copyText(b, e.Actor1)
	b = copyText(b, e.Actor2)
	b = copyIntPtr(b, e.Fatalities.Best)
	b = copyIntPtr(b, e.Fatalities.Low)
	b = copyIntPtr(b, e.Fatalities.High)
	b = copyFloat(b, e.Goldstein)
	b = copyFloat(b, e.Tone)
	b = binary.BigEndian.AppendUint32(b, 1)
	if e.Electoral {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = copyText(b, e.SourceRef)
	b = copyInt64(b, r.Hash)
	b = copyInt64(b, w.fileID)
	b = copyInt32(b, int32(r.Line))
	b = copyInt64(b, r.Offset)
	b = copyInt32(b, int32(r.Length))
	us := ts.Unix()*1_000_000 + int64(ts.Nanosecond())/1000 - postgresEpoch*1_000_000
	b = copyInt64(b, us)    // first_ingested
	return copyInt64(b, us) // last_changed
}

func copyText(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func copyInt32(b []byte, n int32) []byte {
	b = binary.BigEndian.AppendUint32(b, 4)
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

func copyInt64(b []byte, n int64) []byte {
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, uint64(n))
}

func copyNull(b []byte) []byte { return binary.BigEndian.AppendUint32(b, 0xffffffff) }

func copyIntPtr(b []byte, n *int) []byte {
	if n == nil {
		return copyNull(b)
	}
	return copyInt32(b, int32(*n))
}

func copyFloat(b []byte, f *float64) []byte {
	if f == nil {
		return copyNull(b)
	}
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(*f))
}

// copyDate appends the civil date of t (its year, month and day) as days
// since 2000-01-01, as pgx encodes a time.Time for a DATE column.
func copyDate(b []byte, t time.Time) []byte {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix()
	b = binary.BigEndian.AppendUint32(b, 4)
	return binary.BigEndian.AppendUint32(b, uint32(int32((day-postgresEpoch)/86400)))
}

// deferredIndexLock takes the transaction-level advisory lock under
// which PostgreSQL writers build deferredIndexes, so that two of them
// never race in CREATE INDEX IF NOT EXISTS, and under which a first load
// drops them and takes its lease, so that a repair never builds them
// between its lease check and its CREATE INDEX while a load drops them.
// deferredIndexTryLock takes it only if it is free, and says whether it
// did.
const (
	deferredIndexLock    = `SELECT pg_advisory_xact_lock(hashtext('threshold: events deferred indexes'))`
	deferredIndexTryLock = `SELECT pg_try_advisory_xact_lock(hashtext('threshold: events deferred indexes'))`
)

// fileKey is the events table's foreign key to ingest_files, which a
// first load on PostgreSQL defers with the indexes: checked row by row it
// costs the server a query per event (a quarter of a COPY into events),
// added back at the end it is one join over the table. fileKeyDef is its
// definition as pg_get_constraintdef prints it.
const (
	fileKey    = "events_file_id_fkey"
	fileKeyDef = "FOREIGN KEY (file_id) REFERENCES ingest_files(id)"
)

// dropDeferredIndexesPostgres is dropDeferredIndexes for PostgreSQL: it
// drops deferredIndexes if the events table is empty and every one that
// exists has the migrations' definition, and reports whether it did. The
// DROP takes the events table's exclusive lock until the first batch
// commits.
//
// It also drops fileKey, if it has the migrations' definition and the
// exclusive lock on ingest_files that dropping it takes is free at once:
// waiting for it while holding the events table could deadlock with a
// writer that holds ingest_files and waits for events. Until the load
// ends, events are stored without the check; buildDeferredIndexesPostgres
// adds the key back, checking every row, so that a load that ends,
// fails, or is killed (the first Migrate after its lease lapses repairs
// it) leaves the key as it was. ingest_files rows are never deleted, so
// no row can lose its file in between.
//
// With the table empty it takes deferredIndexLock, and looks again,
// which its transaction then holds until the batch commits with the
// writer's lease: a build of the indexes, which takes the lock before it
// looks for a lease, sees either the lease or the indexes as they were.
// An empty table has no index that takes long to build, so the wait is
// short.
func dropDeferredIndexesPostgres(ctx context.Context, tx *sql.Tx) (bool, error) {
	var empty bool
	if err := tx.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM events)`).Scan(&empty); err != nil {
		return false, fmt.Errorf("check events: %w", err)
	}
	if !empty {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, deferredIndexLock); err != nil {
		return false, fmt.Errorf("lock indexes: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM events)`).Scan(&empty); err != nil {
		return false, fmt.Errorf("check events: %w", err)
	}
	if !empty { // another writer stored events while this one waited
		return false, nil
	}
	for _, ix := range deferredIndexes {
		def, err := postgresIndexDef(ctx, tx, ix.name)
		if err != nil {
			return false, err
		}
		if def != "" && !samePostgresIndex(def, ix.name, ix.on) {
			return false, nil
		}
	}
	for _, ix := range deferredIndexes {
		if _, err := tx.ExecContext(ctx, `DROP INDEX IF EXISTS `+ix.name); err != nil {
			return false, fmt.Errorf("drop index %s: %w", ix.name, err)
		}
	}
	def, err := postgresFileKeyDef(ctx, tx)
	if err != nil || def != fileKeyDef {
		return true, err
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT threshold_file_key`); err != nil {
		return false, fmt.Errorf("drop %s: %w", fileKey, err)
	}
	_, err = tx.ExecContext(ctx, `LOCK TABLE ingest_files IN ACCESS EXCLUSIVE MODE NOWAIT`)
	if err == nil {
		_, err = tx.ExecContext(ctx, `ALTER TABLE events DROP CONSTRAINT `+fileKey)
	}
	if err != nil {
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "55P03" { // lock_not_available: keep the key
			return false, fmt.Errorf("drop %s: %w", fileKey, err)
		}
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT threshold_file_key`); err != nil {
			return false, fmt.Errorf("drop %s: %w", fileKey, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT threshold_file_key`); err != nil {
		return false, fmt.Errorf("drop %s: %w", fileKey, err)
	}
	return true, nil
}

// buildDeferredIndexesPostgres builds those of deferredIndexes that are
// missing, and adds fileKey back if it is missing: ADD CONSTRAINT checks
// every stored row in one query, and fails, leaving it missing, if one
// had no file. With nothing missing it takes no lock.
func buildDeferredIndexesPostgres(ctx context.Context, tx *sql.Tx) error {
	locked := false
	lock := func() error {
		if locked {
			return nil
		}
		locked = true
		for _, q := range []string{deferredIndexLock, `SET LOCAL maintenance_work_mem = '256MB'`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
	for _, ix := range deferredIndexes {
		def, err := postgresIndexDef(ctx, tx, ix.name)
		if err != nil {
			return err
		}
		if def != "" {
			continue
		}
		if err := lock(); err != nil {
			return fmt.Errorf("build index %s: %w", ix.name, err)
		}
		if _, err := tx.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS `+ix.name+` ON `+ix.on); err != nil {
			return fmt.Errorf("build index %s: %w", ix.name, err)
		}
	}
	def, err := postgresFileKeyDef(ctx, tx)
	if err != nil || def != "" {
		return err
	}
	if err := lock(); err != nil {
		return fmt.Errorf("add %s: %w", fileKey, err)
	}
	// Another writer may have added it while this one waited for the lock.
	if def, err = postgresFileKeyDef(ctx, tx); err != nil || def != "" {
		return err
	}
	if _, err := tx.ExecContext(ctx, `ALTER TABLE events ADD CONSTRAINT `+fileKey+
		` FOREIGN KEY (file_id) REFERENCES ingest_files (id)`); err != nil {
		return fmt.Errorf("add %s: %w", fileKey, err)
	}
	return nil
}

// postgresFileKeyDef returns the definition of fileKey on the search
// path's events table, or "" if there is none (or no events table).
func postgresFileKeyDef(ctx context.Context, tx *sql.Tx) (string, error) {
	var def sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
		WHERE c.conrelid = to_regclass('events') AND c.conname = $1`, fileKey).Scan(&def)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read %s: %w", fileKey, err)
	}
	return def.String, nil
}

// postgresIndexDef returns the definition of the index name in the
// search path's schema, or "" if there is none.
func postgresIndexDef(ctx context.Context, tx *sql.Tx, name string) (string, error) {
	var def sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT pg_get_indexdef(to_regclass($1))`, name).Scan(&def); err != nil {
		return "", fmt.Errorf("read index %s: %w", name, err)
	}
	return def.String, nil
}

// samePostgresIndex reports whether def, as pg_get_indexdef prints it,
// is the plain B-tree index name ON on ("events (country, date_start)"),
// its table named with or without a schema.
func samePostgresIndex(def, name, on string) bool {
	table, cols, ok := strings.Cut(on, " ")
	if !ok {
		return false
	}
	rest, ok := strings.CutPrefix(def, "CREATE INDEX "+name+" ON ")
	if !ok {
		return false
	}
	rel, ok := strings.CutSuffix(rest, " USING btree "+cols)
	return ok && (rel == table || strings.HasSuffix(rel, "."+table))
}

// dropDeferredIndexes drops the events table's deferredIndexes at the
// first batch of a load into an empty table, in the dialect's way, and
// reports whether it did.
func (db *DB) dropDeferredIndexes(ctx context.Context, tx *sql.Tx) (bool, error) {
	if db.d.name == "sqlite" {
		return dropDeferredIndexes(ctx, tx)
	}
	return dropDeferredIndexesPostgres(ctx, tx)
}

// buildDeferredIndexes builds those of deferredIndexes that are missing.
func (db *DB) buildDeferredIndexes(ctx context.Context, tx *sql.Tx) error {
	if db.d.name == "sqlite" {
		return buildDeferredIndexes(ctx, tx)
	}
	return buildDeferredIndexesPostgres(ctx, tx)
}

// missingDeferredIndexes reports whether one of deferredIndexes (or, on
// PostgreSQL, fileKey) is missing.
func (db *DB) missingDeferredIndexes(ctx context.Context, q querier) (bool, error) {
	if db.d.name == "sqlite" {
		return missingDeferredIndexes(ctx, q)
	}
	return missingDeferredIndexesPostgres(ctx, q)
}

// indexLease is how long a first load's claim on the missing deferred
// indexes lasts (ingest_files.indexes_deferred_until): until it ends,
// other processes leave them missing instead of building them under the
// running load, which on SQLite would take the write lock between two
// batches for the length of the build, and on PostgreSQL would make the
// load's COPYs, and the process that builds, wait for each other. The
// load renews it (indexLeaseRenewal) as it commits batches, several a
// second, and gives it up when it builds them. A load killed before its
// end renews it no more: two minutes later the next Migrate, or the Finish
// of another file, builds them. Long enough that a loaded machine's
// slowest batch renews it in time; short enough that a killed load's
// indexes are not missing for long.
const indexLease = 2 * time.Minute

// indexLeaseRenewal is the age at which a batch renews its writer's
// lease: one UPDATE every 30 s, not one per batch.
const indexLeaseRenewal = indexLease / 4

// leaseHeld reports whether an ingest file other than self (0: any file)
// holds a live lease on the deferred indexes at now.
func (db *DB) leaseHeld(ctx context.Context, q querier, self int64, now time.Time) (bool, error) {
	var held bool
	err := q.QueryRowContext(ctx, db.d.rebind(`SELECT EXISTS (
		SELECT 1 FROM ingest_files WHERE indexes_deferred_until > ? AND id <> ?)`), db.instantArg(now), self).Scan(&held)
	if err != nil {
		return false, fmt.Errorf("check index leases: %w", err)
	}
	return held, nil
}

// buildUnlessLeased builds the missing deferred indexes in tx, unless an
// ingest file other than self holds a live lease on them at now: that
// load builds them at its end. On PostgreSQL it looks for a lease under
// deferredIndexLock, waiting for it with wait, else giving up if another
// transaction holds it (one that drops or builds them, which needs no
// help).
func (db *DB) buildUnlessLeased(ctx context.Context, tx *sql.Tx, self int64, now time.Time, wait bool) error {
	missing, err := db.missingDeferredIndexes(ctx, tx)
	if err != nil || !missing {
		return err
	}
	switch {
	case db.d.name != "postgres":
	case wait:
		if _, err := tx.ExecContext(ctx, deferredIndexLock); err != nil {
			return fmt.Errorf("lock indexes: %w", err)
		}
	default:
		var locked bool
		if err := tx.QueryRowContext(ctx, deferredIndexTryLock).Scan(&locked); err != nil {
			return fmt.Errorf("lock indexes: %w", err)
		}
		if !locked {
			return nil
		}
	}
	if held, err := db.leaseHeld(ctx, tx, self, now); err != nil || held {
		return err
	}
	return db.buildDeferredIndexes(ctx, tx)
}

// repairIndexes builds the deferred indexes (and on PostgreSQL adds
// fileKey) that a first load killed before its end left missing, once its
// lease has lapsed at now; while a load holds one it changes nothing. With
// nothing missing, or a live lease, it only reads, and takes no lock.
// Migrate runs it once the schema is up to date.
func (db *DB) repairIndexes(ctx context.Context, now time.Time) error {
	missing, err := db.missingDeferredIndexes(ctx, db.read)
	if err != nil || !missing {
		return err
	}
	if held, err := db.leaseHeld(ctx, db.read, 0, now); err != nil || held {
		return err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("build indexes: %w", err)
	}
	// Looked at again under the write lock (SQLite) or the index lock
	// (PostgreSQL): a load may have started since.
	if err := db.buildUnlessLeased(ctx, tx, 0, now, false); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// missingDeferredIndexesPostgres reports whether one of deferredIndexes,
// or fileKey, is missing. It only reads the catalog.
func missingDeferredIndexesPostgres(ctx context.Context, q querier) (bool, error) {
	var missing bool
	for _, ix := range deferredIndexes {
		if err := q.QueryRowContext(ctx, `SELECT to_regclass($1) IS NULL`, ix.name).Scan(&missing); err != nil {
			return false, fmt.Errorf("check index %s: %w", ix.name, err)
		}
		if missing {
			return true, nil
		}
	}
	err := q.QueryRowContext(ctx, `SELECT NOT EXISTS (
		SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass('events') AND conname = $1)`, fileKey).Scan(&missing)
	if err != nil {
		return false, fmt.Errorf("check %s: %w", fileKey, err)
	}
	return missing, nil
}
