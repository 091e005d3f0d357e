package store

import (
	"context"
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
	cols := strings.Join(eventColumns, ", ")
	// A temporary table belongs to the session: the connection may be new
	// to this store, so create it when missing. ON COMMIT DELETE ROWS
	// empties it for the next batch; a rollback discards the rows anyway.
	_, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS `+eventStage+
		` ON COMMIT DELETE ROWS AS SELECT `+cols+` FROM events WITH NO DATA`)
	if err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	stamp, ok := ts.(time.Time)
	if !ok {
		return fmt.Errorf("postgres timestamp argument is %T, not time.Time", ts)
	}
	err = tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection %T is not pgx", dc)
		}
		i := 0
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{eventStage}, eventColumns,
			pgx.CopyFromFunc(func() ([]any, error) {
				if i == len(recs) {
					return nil, nil
				}
				r := recs[i]
				i++
				return w.eventValuesPostgres(r, stamp), nil
			}))
		return err
	})
	if err != nil {
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
