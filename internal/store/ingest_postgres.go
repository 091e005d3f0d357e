package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"threshold/internal/ingest"
)

// eventStage is the PostgreSQL session's temporary table that a batch of
// new events is copied into before one INSERT … SELECT moves them into
// events. It has the columns of eventColumns with the types of events and
// no constraint or index, and it empties itself at every commit.
const eventStage = "threshold_event_stage"

// insertEventsPostgres stores new events on PostgreSQL: COPY into
// eventStage, then a single INSERT … SELECT into events. COPY carries rows
// in pgx's binary format without a statement per 500 rows to parse, plan
// and bind; the INSERT keeps the unique key's ON CONFLICT, so that an event
// another writer stored meanwhile is skipped as before (the next ingest
// compares the two). Which rows are new, updated or unchanged was decided
// by the caller, so the versions logic is the same for both dialects.
func (w *fileWriter) insertEventsPostgres(ctx context.Context, tx txn, recs []*ingest.Record, ts any) error {
	stamp, ok := ts.(time.Time)
	if !ok {
		return fmt.Errorf("postgres timestamp argument is %T, not time.Time", ts)
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
	if err := w.copyEvents(ctx, tx, eventStage, recs, stamp); err != nil {
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

// copyEvents copies recs into table, which has eventColumns, with COPY.
func (w *fileWriter) copyEvents(ctx context.Context, tx txn, table string, recs []*ingest.Record, ts time.Time) error {
	return tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection %T is not pgx", dc)
		}
		i := 0
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, eventColumns,
			pgx.CopyFromFunc(func() ([]any, error) {
				if i == len(recs) {
					return nil, nil
				}
				r := recs[i]
				i++
				return w.eventValuesPostgres(r, ts), nil
			}))
		return err
	})
}

// eventValuesPostgres returns the values of eventColumns for r in the Go
// types pgx encodes in COPY's binary format for the events columns.
func (w *fileWriter) eventValuesPostgres(r *ingest.Record, ts time.Time) []any {
	e := &r.Event
	return []any{
		string(e.Source), e.SourceID, e.Version, e.DateStart, e.DateEnd, int32(e.DatePrecision),
		e.Country, e.Admin1, e.Place, floatArg(e.Latitude), floatArg(e.Longitude), int32(e.GeoPrecision),
		string(e.Category), e.SourceType, e.SourceSubType, int32(e.QuadClass), e.Actor1, e.Actor2,
		int32Arg(e.Fatalities.Best), int32Arg(e.Fatalities.Low), int32Arg(e.Fatalities.High),
		floatArg(e.Goldstein), floatArg(e.Tone), e.Electoral,
		e.SourceRef, r.Hash, w.fileID, int32(r.Line), r.Offset, int32(r.Length), ts, ts,
	}
}

func int32Arg(n *int) any {
	if n == nil {
		return nil
	}
	return int32(*n)
}

// deferredIndexLock is the key of the transaction-level advisory lock
// under which PostgreSQL writers build deferredIndexes, so that two of them
// never race in CREATE INDEX IF NOT EXISTS.
const deferredIndexLock = `SELECT pg_advisory_xact_lock(hashtext('threshold: events deferred indexes'))`

// dropDeferredIndexesPostgres is dropDeferredIndexes for PostgreSQL: it
// drops deferredIndexes if the events table is empty and every one that
// exists has the migrations' definition, and reports whether it did. The
// DROP takes the events table's exclusive lock until the first batch
// commits.
func dropDeferredIndexesPostgres(ctx context.Context, tx *sql.Tx) (bool, error) {
	var empty bool
	if err := tx.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM events)`).Scan(&empty); err != nil {
		return false, fmt.Errorf("check events: %w", err)
	}
	if !empty {
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
	return true, nil
}

// buildDeferredIndexesPostgres builds those of deferredIndexes that are
// missing. With none missing it takes no lock.
func buildDeferredIndexesPostgres(ctx context.Context, tx *sql.Tx) error {
	locked := false
	for _, ix := range deferredIndexes {
		def, err := postgresIndexDef(ctx, tx, ix.name)
		if err != nil {
			return err
		}
		if def != "" {
			continue
		}
		if !locked {
			for _, q := range []string{deferredIndexLock, `SET LOCAL maintenance_work_mem = '256MB'`} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("build index %s: %w", ix.name, err)
				}
			}
			locked = true
		}
		if _, err := tx.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS `+ix.name+` ON `+ix.on); err != nil {
			return fmt.Errorf("build index %s: %w", ix.name, err)
		}
	}
	return nil
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

// repairIndexesPostgres builds the deferred indexes a first load killed
// before its end left missing, as openSQLite's repairIndexes does. With
// them present, or no events table yet, it only reads the catalog.
func (db *DB) repairIndexesPostgres(ctx context.Context) error {
	missing := false
	for _, ix := range deferredIndexes {
		err := db.write.QueryRowContext(ctx, `SELECT to_regclass('events') IS NOT NULL AND to_regclass($1) IS NULL`,
			ix.name).Scan(&missing)
		if err != nil {
			return fmt.Errorf("check index %s: %w", ix.name, err)
		}
		if missing {
			break
		}
	}
	if !missing {
		return nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("build indexes: %w", err)
	}
	if err := buildDeferredIndexesPostgres(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
