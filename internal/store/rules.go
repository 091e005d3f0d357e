package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"threshold/internal/event"
	"threshold/internal/indicator"
	"threshold/internal/rules"
)

var _ rules.Source = (*DB)(nil)

// RuleIndicators returns the stored indicators selected by q (see
// rules.Source), ordered by country, admin-1 area, period start and name.
func (db *DB) RuleIndicators(ctx context.Context, q rules.IndicatorQuery) ([]indicator.Value, error) {
	c := &conds{}
	if q.Countries != nil {
		if len(q.Countries) == 0 {
			return nil, nil
		}
		c.list = append(c.list, "country IN ("+placeholders(len(q.Countries))+")")
		for _, v := range q.Countries {
			c.args = append(c.args, strings.ToUpper(v))
		}
	}
	if q.Kind != "" {
		c.add("period_kind = ?", string(q.Kind))
	}
	if len(q.Names) > 0 {
		c.list = append(c.list, "name IN ("+placeholders(len(q.Names))+")")
		for _, n := range q.Names {
			c.args = append(c.args, n)
		}
	}
	if !q.From.IsZero() {
		c.add("period_start >= ?", dateArg(q.From))
	}
	if !q.To.IsZero() {
		c.add("period_start <= ?", dateArg(q.To))
	}
	s := `SELECT country, admin1, period_kind, period_start, name, value FROM indicators` + c.where() +
		" ORDER BY country, admin1, period_start, name"
	return db.queryIndicatorValues(ctx, "rule indicators", s, c.args)
}

// RuleEvents returns the events selected by q (see rules.Source), the
// deadliest first, then by start date and key, without their source rows.
func (db *DB) RuleEvents(ctx context.Context, q rules.EventQuery) ([]event.Event, error) {
	c := &conds{}
	if q.Countries != nil {
		if len(q.Countries) == 0 {
			return nil, nil
		}
		c.list = append(c.list, "e.country IN ("+placeholders(len(q.Countries))+")")
		for _, v := range q.Countries {
			c.args = append(c.args, strings.ToUpper(v))
		}
	}
	if q.Categories != nil {
		if len(q.Categories) == 0 {
			return nil, nil
		}
		c.list = append(c.list, "e.category IN ("+placeholders(len(q.Categories))+")")
		for _, v := range q.Categories {
			c.args = append(c.args, string(v))
		}
	}
	if !q.From.IsZero() {
		c.add("e.date_start >= ?", dateArg(q.From))
	}
	if !q.To.IsZero() {
		c.add("e.date_start <= ?", dateArg(q.To))
	}
	if q.MinFatalities > 0 {
		c.add("e.fatalities_best >= ?", q.MinFatalities)
	}
	s := selectEvents + c.where() + ` ORDER BY COALESCE(e.fatalities_best, 0) DESC, e.date_start, e.source, e.source_id`
	if q.Limit > 0 {
		s += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := db.read.QueryContext(ctx, db.d.rebind(s), c.args...)
	if err != nil {
		return nil, fmt.Errorf("rule events: %w", err)
	}
	defer rows.Close()
	var out []event.Event
	for rows.Next() {
		st, _, err := db.scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("rule events: %w", err)
		}
		out = append(out, st.Event)
	}
	return out, rows.Err()
}

// RulesVersion is one saved version of the alert rules file.
type RulesVersion struct {
	ID        int64     `json:"id"`
	Version   string    `json:"version"` // the file's version field
	Body      string    `json:"body"`    // the file as written
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

// File parses the version's body.
func (v RulesVersion) File() (*rules.File, error) {
	return rules.Parse(fmt.Sprintf("rules version %d", v.ID), []byte(v.Body))
}

// SaveRules stores body as the newest, and so active, version of the rules
// file. Callers validate it first with rules.Parse to show the problems;
// SaveRules parses it again and refuses an invalid body.
func (db *DB) SaveRules(ctx context.Context, body, author string, at time.Time) (RulesVersion, error) {
	f, err := rules.Parse("rules", []byte(body))
	if err != nil {
		return RulesVersion{}, fmt.Errorf("save rules: %w", err)
	}
	v := RulesVersion{Version: f.Version, Body: body, Author: author, CreatedAt: at.UTC()}
	err = db.write.QueryRowContext(ctx, db.d.rebind(`INSERT INTO rules_versions (version, body, author, created_at)
		VALUES (?, ?, ?, ?) RETURNING id`), v.Version, body, author, db.instantArg(at)).Scan(&v.ID)
	if err != nil {
		return RulesVersion{}, fmt.Errorf("save rules: %w", db.mapErr(err))
	}
	return v, nil
}

const selectRules = `SELECT id, version, body, author, created_at FROM rules_versions`

// ActiveRules returns the newest saved version of the rules, or
// ErrNotFound when none was saved (the default rules are then active).
func (db *DB) ActiveRules(ctx context.Context) (RulesVersion, error) {
	var (
		v  RulesVersion
		at any
	)
	err := db.read.QueryRowContext(ctx, selectRules+` ORDER BY id DESC LIMIT 1`).Scan(&v.ID, &v.Version, &v.Body, &v.Author, &at)
	if err != nil {
		return RulesVersion{}, fmt.Errorf("active rules: %w", db.mapErr(err))
	}
	if v.CreatedAt, err = scanTime(at); err != nil {
		return RulesVersion{}, fmt.Errorf("active rules: %w", err)
	}
	return v, nil
}

// RulesHistory returns every saved version of the rules, newest first.
func (db *DB) RulesHistory(ctx context.Context) ([]RulesVersion, error) {
	rows, err := db.read.QueryContext(ctx, selectRules+` ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("rules history: %w", err)
	}
	defer rows.Close()
	out := []RulesVersion{}
	for rows.Next() {
		var (
			v  RulesVersion
			at any
		)
		if err := rows.Scan(&v.ID, &v.Version, &v.Body, &v.Author, &at); err != nil {
			return nil, fmt.Errorf("rules history: %w", err)
		}
		if v.CreatedAt, err = scanTime(at); err != nil {
			return nil, fmt.Errorf("rules history: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
