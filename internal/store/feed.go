package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"threshold/internal/feed"
	"threshold/internal/ingest"
)

var _ feed.Store = (*DB)(nil)

// feedLockID is the PostgreSQL advisory lock that serialises feed claims
// across connections and servers.
const feedLockID = 0x7468722d66656564 // "thr-feed"

// AddFeedFiles records files a feed found, Pending, leaving those already
// recorded as they are, in one transaction.
func (db *DB) AddFeedFiles(ctx context.Context, files []feed.File, now time.Time) (int, error) {
	if len(files) == 0 {
		return 0, nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	q := db.d.rebind(`INSERT INTO feed_files (source, name, location, size, md5, state, discovered_at)
		VALUES (?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (source, name) DO NOTHING`)
	added := 0
	for _, f := range files {
		res, err := tx.ExecContext(ctx, q, f.Source, f.Name, f.Location, f.Size, f.MD5, db.instantArg(now))
		if err != nil {
			return 0, fmt.Errorf("record feed file %s: %w", f.Name, db.mapErr(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		added += int(n)
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return added, nil
}

// ClaimFeedFile claims the next file due, in name order, unless another
// is being ingested under a live lease. On PostgreSQL an advisory
// transaction lock serialises claims (without it, two servers could each
// see no file Ingesting and claim two); FOR UPDATE SKIP LOCKED keeps a
// claim from waiting on a row a renewal holds. SQLite has no FOR UPDATE;
// the single write connection with BEGIN IMMEDIATE serialises this.
func (db *DB) ClaimFeedFile(ctx context.Context, claimer string, now time.Time, lease time.Duration) (feed.File, bool, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return feed.File{}, false, err
	}
	defer tx.Rollback()
	if db.d.xactLock != "" {
		if _, err := tx.ExecContext(ctx, db.d.rebind(db.d.xactLock), int64(feedLockID)); err != nil {
			return feed.File{}, false, fmt.Errorf("lock feed: %w", err)
		}
	}
	nowArg := db.instantArg(now)
	var busy int
	if err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT COUNT(*) FROM feed_files
		WHERE state = 'ingesting' AND lease_until > ?`), nowArg).Scan(&busy); err != nil {
		return feed.File{}, false, fmt.Errorf("claim feed file: %w", err)
	}
	if busy > 0 {
		return feed.File{}, false, nil
	}
	q := `SELECT id FROM feed_files
		WHERE state = 'pending'
		   OR (state = 'failed' AND next_attempt <= ?)
		   OR (state = 'ingesting' AND lease_until <= ?)
		ORDER BY name, id LIMIT 1`
	if db.d.name == "postgres" {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	var id int64
	err = tx.QueryRowContext(ctx, db.d.rebind(q), nowArg, nowArg).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return feed.File{}, false, nil
	}
	if err != nil {
		return feed.File{}, false, fmt.Errorf("claim feed file: %w", err)
	}
	if _, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE feed_files
		SET state = 'ingesting', attempts = attempts + 1, claimed_by = ?, lease_until = ?, started_at = ?, error = ''
		WHERE id = ?`), claimer, db.instantArg(now.Add(lease)), nowArg, id); err != nil {
		return feed.File{}, false, fmt.Errorf("claim feed file %d: %w", id, err)
	}
	f, err := db.scanFeedFile(tx.QueryRowContext(ctx, db.d.rebind(feedSelect+` WHERE id = ?`), id))
	if err != nil {
		return feed.File{}, false, fmt.Errorf("claim feed file %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return feed.File{}, false, err
	}
	return f, true, nil
}

// RenewFeedClaim extends a claim still held.
func (db *DB) RenewFeedClaim(ctx context.Context, id int64, claimer string, until time.Time) error {
	return db.updateClaimed(ctx, id, claimer, `lease_until = ?`, db.instantArg(until))
}

// FinishFeedFile marks a claimed file Done.
func (db *DB) FinishFeedFile(ctx context.Context, id int64, claimer, sha256 string, c ingest.Counts, now time.Time) error {
	return db.updateClaimed(ctx, id, claimer,
		`state = 'done', sha256 = ?, finished_at = ?, lease_until = NULL, next_attempt = NULL, error = '',
		 rows_read = ?, inserted = ?, updated = ?, unchanged = ?, rejected = ?`,
		sha256, db.instantArg(now), c.Read, c.Inserted, c.Updated, c.Unchanged, c.Rejected)
}

// FailFeedFile marks a claimed file Failed, to retry at next (never, if
// next is zero).
func (db *DB) FailFeedFile(ctx context.Context, id int64, claimer, sha256, reason string, next, now time.Time) error {
	return db.updateClaimed(ctx, id, claimer,
		`state = 'failed', sha256 = ?, error = ?, finished_at = ?, lease_until = NULL, next_attempt = ?`,
		sha256, reason, db.instantArg(now), db.nullInstantArg(next))
}

// LatestFeedFile returns the greatest file name recorded from source, or
// "" when none is.
func (db *DB) LatestFeedFile(ctx context.Context, source string) (string, error) {
	var name sql.NullString
	if err := db.read.QueryRowContext(ctx, db.d.rebind(`SELECT MAX(name) FROM feed_files WHERE source = ?`),
		source).Scan(&name); err != nil {
		return "", fmt.Errorf("latest feed file of %s: %w", source, err)
	}
	return name.String, nil
}

// updateClaimed sets columns of a file that claimer holds, or says the
// claim was lost.
func (db *DB) updateClaimed(ctx context.Context, id int64, claimer, set string, args ...any) error {
	args = append(args, id, claimer)
	res, err := db.write.ExecContext(ctx, db.d.rebind(`UPDATE feed_files SET `+set+`
		WHERE id = ? AND claimed_by = ? AND state = 'ingesting'`), args...)
	if err != nil {
		return fmt.Errorf("update feed file %d: %w", id, db.mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("feed file %d held by %s: %w", id, claimer, feed.ErrClaimLost)
	}
	return nil
}

// FeedFiles lists recorded feed files in name order.
func (db *DB) FeedFiles(ctx context.Context, states ...feed.State) ([]feed.File, error) {
	q := feedSelect
	var args []any
	if len(states) > 0 {
		q += ` WHERE state IN (?` + strings.Repeat(", ?", len(states)-1) + `)`
		for _, s := range states {
			args = append(args, string(s))
		}
	}
	rows, err := db.read.QueryContext(ctx, db.d.rebind(q+` ORDER BY name, id`), args...)
	if err != nil {
		return nil, fmt.Errorf("list feed files: %w", err)
	}
	defer rows.Close()
	var out []feed.File
	for rows.Next() {
		f, err := db.scanFeedFile(rows)
		if err != nil {
			return nil, fmt.Errorf("list feed files: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// IngestedTouched returns the countries and first and last days of the
// events whose current version came from streams with this SHA-256.
func (db *DB) IngestedTouched(ctx context.Context, sha256 string) (ingest.Touched, error) {
	rows, err := db.read.QueryContext(ctx, db.d.rebind(`SELECT e.country, MIN(e.date_start), MAX(e.date_start)
		FROM events e JOIN ingest_files f ON f.id = e.file_id
		WHERE f.sha256 = ? GROUP BY e.country`), sha256)
	if err != nil {
		return nil, fmt.Errorf("events of ingested file %s: %w", sha256, err)
	}
	defer rows.Close()
	t := ingest.Touched{}
	for rows.Next() {
		var (
			country  string
			from, to any
		)
		if err := rows.Scan(&country, &from, &to); err != nil {
			return nil, err
		}
		f, err := scanDate(from)
		if err != nil {
			return nil, err
		}
		l, err := scanDate(to)
		if err != nil {
			return nil, err
		}
		t.Add(country, f)
		t.Add(country, l)
	}
	return t, rows.Err()
}

const feedSelect = `SELECT id, source, name, location, size, md5, sha256, state, attempts, error, claimed_by,
	lease_until, next_attempt, discovered_at, started_at, finished_at,
	rows_read, inserted, updated, unchanged, rejected FROM feed_files`

func (db *DB) scanFeedFile(r interface{ Scan(...any) error }) (feed.File, error) {
	var (
		f                                   feed.File
		state                               string
		lease, next, found, started, finish any
	)
	if err := r.Scan(&f.ID, &f.Source, &f.Name, &f.Location, &f.Size, &f.MD5, &f.SHA256, &state, &f.Attempts,
		&f.Error, &f.ClaimedBy, &lease, &next, &found, &started, &finish,
		&f.Counts.Read, &f.Counts.Inserted, &f.Counts.Updated, &f.Counts.Unchanged, &f.Counts.Rejected); err != nil {
		return feed.File{}, db.mapErr(err)
	}
	f.State = feed.State(state)
	for _, x := range []struct {
		dst *time.Time
		v   any
	}{{&f.LeaseUntil, lease}, {&f.NextAttempt, next}, {&f.DiscoveredAt, found}, {&f.StartedAt, started}, {&f.FinishedAt, finish}} {
		var err error
		if *x.dst, err = scanTime(x.v); err != nil {
			return feed.File{}, err
		}
	}
	return f, nil
}
