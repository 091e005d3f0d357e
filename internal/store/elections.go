package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"threshold/internal/election"
)

// ImportElections upserts elections into the calendar, keyed by country,
// date, kind and round, in one transaction: importing the same calendar
// twice changes nothing. It returns how many rows it added and how many
// existing ones it changed (source or note).
func (db *DB) ImportElections(ctx context.Context, els []election.Election) (added, changed int, err error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("import elections: %w", err)
	}
	defer tx.Rollback()
	for _, e := range els {
		var src, note string
		err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT source, note FROM elections
			WHERE country = ? AND date = ? AND kind = ? AND round = ?`),
			e.Country, dateArg(e.Date), string(e.Kind), e.Round).Scan(&src, &note)
		switch err := db.mapErr(err); {
		case err == ErrNotFound:
			if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO elections (country, date, kind, round, source, note)
				VALUES (?, ?, ?, ?, ?, ?)`), e.Country, dateArg(e.Date), string(e.Kind), e.Round, e.Source, e.Note); err != nil {
				return 0, 0, fmt.Errorf("import elections: %s %s: %w", e.Country, dateArg(e.Date), err)
			}
			added++
		case err != nil:
			return 0, 0, fmt.Errorf("import elections: %w", err)
		case src != e.Source || note != e.Note:
			if _, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE elections SET source = ?, note = ?
				WHERE country = ? AND date = ? AND kind = ? AND round = ?`),
				e.Source, e.Note, e.Country, dateArg(e.Date), string(e.Kind), e.Round); err != nil {
				return 0, 0, fmt.Errorf("import elections: %s %s: %w", e.Country, dateArg(e.Date), err)
			}
			changed++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("import elections: %w", err)
	}
	return added, changed, nil
}

// Elections returns the elections of the countries (nil: all) held in
// [from, to] (zero: unbounded), by date, country, kind and round.
func (db *DB) Elections(ctx context.Context, countries []string, from, to time.Time) ([]election.Election, error) {
	c := &conds{}
	if countries != nil {
		if len(countries) == 0 {
			return []election.Election{}, nil
		}
		c.list = append(c.list, "country IN ("+placeholders(len(countries))+")")
		for _, v := range countries {
			c.args = append(c.args, strings.ToUpper(v))
		}
	}
	if !from.IsZero() {
		c.add("date >= ?", dateArg(from))
	}
	if !to.IsZero() {
		c.add("date <= ?", dateArg(to))
	}
	rows, err := db.read.QueryContext(ctx, db.d.rebind(`SELECT country, date, kind, round, source, note FROM elections`+
		c.where()+` ORDER BY date, country, kind, round`), c.args...)
	if err != nil {
		return nil, fmt.Errorf("elections: %w", err)
	}
	defer rows.Close()
	out := []election.Election{}
	for rows.Next() {
		var (
			e    election.Election
			day  any
			kind string
		)
		if err := rows.Scan(&e.Country, &day, &kind, &e.Round, &e.Source, &e.Note); err != nil {
			return nil, fmt.Errorf("elections: %w", err)
		}
		e.Kind = election.Kind(kind)
		if e.Date, err = scanDate(day); err != nil {
			return nil, fmt.Errorf("elections: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
