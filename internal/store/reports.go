package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// TrackerCall is a drafted call of the monthly tracker (package report
// makes them; the store does not import it): a country's trend and flags
// for a month, with the evidence as JSON.
type TrackerCall struct {
	Month       time.Time       // first day of the month
	Country     string          // ISO alpha-3
	Trend       string          // deteriorated, improved or unchanged
	RiskAlert   bool            // conflict risk alert
	Opportunity bool            // resolution opportunity
	Evidence    json.RawMessage // JSON array
	DraftedAt   time.Time
}

// TrackerOverride is an analyst's override of a drafted call, with the
// draft it overrode.
type TrackerOverride struct {
	ID                          int64
	Month                       time.Time
	Country                     string
	DraftTrend                  string
	DraftRisk, DraftOpportunity bool
	Trend                       string
	RiskAlert, Opportunity      bool
	Reason                      string
	Actor                       string
	ActorID                     int64 // 0 for the CLI
	At                          time.Time
}

// ReportSubscription is a user's monthly report by email.
type ReportSubscription struct {
	ID        int64
	UserID    int64
	Email     string // the user's, read from users
	Kind      string // monthly or brief
	Region    string // UN M49 region or subregion name; "" is every
	Country   string // ISO alpha-3; "" is every
	Format    string // pdf, html, md, json or csv
	LastMonth string // "2014-01", the last month sent; "" when none was
	CreatedBy string
	CreatedAt time.Time
}

// SaveTrackerCalls stores drafted calls, replacing the stored draft of
// the same month and country.
func (db *DB) SaveTrackerCalls(ctx context.Context, cs []TrackerCall) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save tracker calls: %w", err)
	}
	defer tx.Rollback()
	for _, c := range cs {
		ev := string(c.Evidence)
		if ev == "" {
			ev = "[]"
		}
		if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO tracker_calls (month, country, trend, risk_alert, opportunity, evidence, drafted_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (month, country) DO UPDATE SET trend = excluded.trend, risk_alert = excluded.risk_alert,
			opportunity = excluded.opportunity, evidence = excluded.evidence, drafted_at = excluded.drafted_at`),
			dateArg(monthOf(c.Month)), strings.ToUpper(c.Country), c.Trend, c.RiskAlert, c.Opportunity, ev,
			db.instantArg(c.DraftedAt)); err != nil {
			return fmt.Errorf("save tracker call %s %s: %w", c.Country, c.Month.Format("2006-01"), db.mapErr(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save tracker calls: %w", err)
	}
	return nil
}

// TrackerCalls returns the stored drafts of a month, by country; nil
// countries is every country.
func (db *DB) TrackerCalls(ctx context.Context, month time.Time, countries []string) ([]TrackerCall, error) {
	q := `SELECT month, country, trend, risk_alert, opportunity, evidence, drafted_at FROM tracker_calls WHERE month = ?`
	args := []any{dateArg(monthOf(month))}
	q, args = inCountries(q, args, countries)
	var out []TrackerCall
	err := db.each(ctx, db.read, q+` ORDER BY country`, args, func(rows *sql.Rows) error {
		var c TrackerCall
		var m, at any
		var ev string
		if err := rows.Scan(&m, &c.Country, &c.Trend, &c.RiskAlert, &c.Opportunity, &ev, &at); err != nil {
			return err
		}
		var err error
		if c.Month, err = scanDate(m); err != nil {
			return err
		}
		if c.DraftedAt, err = scanTime(at); err != nil {
			return err
		}
		c.Evidence = json.RawMessage(ev)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tracker calls %s: %w", month.Format("2006-01"), err)
	}
	return out, nil
}

// AddTrackerOverride records an override; it needs a reason.
func (db *DB) AddTrackerOverride(ctx context.Context, o TrackerOverride) (TrackerOverride, error) {
	if strings.TrimSpace(o.Reason) == "" {
		return TrackerOverride{}, fmt.Errorf("tracker override %s %s: a reason is required", o.Country, o.Month.Format("2006-01"))
	}
	o.Month = monthOf(o.Month)
	o.Country = strings.ToUpper(o.Country)
	var actorID any
	if o.ActorID > 0 {
		actorID = o.ActorID
	}
	err := db.write.QueryRowContext(ctx, db.d.rebind(`INSERT INTO tracker_overrides (month, country, draft_trend, draft_risk,
		draft_opportunity, trend, risk_alert, opportunity, reason, actor, actor_id, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		dateArg(o.Month), o.Country, o.DraftTrend, o.DraftRisk, o.DraftOpportunity, o.Trend, o.RiskAlert, o.Opportunity,
		o.Reason, o.Actor, actorID, db.instantArg(o.At)).Scan(&o.ID)
	if err != nil {
		return TrackerOverride{}, fmt.Errorf("tracker override %s %s: %w", o.Country, o.Month.Format("2006-01"), db.mapErr(err))
	}
	return o, nil
}

// TrackerOverrides returns the overrides of a month, oldest first, for
// the countries given (nil: every country). The last of a country is in
// force.
func (db *DB) TrackerOverrides(ctx context.Context, month time.Time, countries []string) ([]TrackerOverride, error) {
	q := `SELECT id, month, country, draft_trend, draft_risk, draft_opportunity, trend, risk_alert, opportunity,
		reason, actor, actor_id, at FROM tracker_overrides WHERE month = ?`
	args := []any{dateArg(monthOf(month))}
	q, args = inCountries(q, args, countries)
	var out []TrackerOverride
	err := db.each(ctx, db.read, q+` ORDER BY country, id`, args, func(rows *sql.Rows) error {
		var o TrackerOverride
		var m, at any
		var actorID sql.NullInt64
		if err := rows.Scan(&o.ID, &m, &o.Country, &o.DraftTrend, &o.DraftRisk, &o.DraftOpportunity, &o.Trend,
			&o.RiskAlert, &o.Opportunity, &o.Reason, &o.Actor, &actorID, &at); err != nil {
			return err
		}
		var err error
		if o.Month, err = scanDate(m); err != nil {
			return err
		}
		if o.At, err = scanTime(at); err != nil {
			return err
		}
		o.ActorID = actorID.Int64
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tracker overrides %s: %w", month.Format("2006-01"), err)
	}
	return out, nil
}

// AddReportSubscription stores a subscription.
func (db *DB) AddReportSubscription(ctx context.Context, s ReportSubscription) (ReportSubscription, error) {
	s.Country = strings.ToUpper(s.Country)
	err := db.write.QueryRowContext(ctx, db.d.rebind(`INSERT INTO report_subscriptions (user_id, kind, region, country, format,
		last_month, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		s.UserID, s.Kind, s.Region, s.Country, s.Format, s.LastMonth, s.CreatedBy, db.instantArg(s.CreatedAt)).Scan(&s.ID)
	if err != nil {
		return ReportSubscription{}, fmt.Errorf("add report subscription for user %d: %w", s.UserID, db.mapErr(err))
	}
	return s, nil
}

// ReportSubscriptions returns every subscription of an active user, by id.
func (db *DB) ReportSubscriptions(ctx context.Context) ([]ReportSubscription, error) {
	var out []ReportSubscription
	err := db.each(ctx, db.read, `SELECT s.id, s.user_id, u.email, s.kind, s.region, s.country, s.format, s.last_month,
		s.created_by, s.created_at FROM report_subscriptions s JOIN users u ON u.id = s.user_id
		WHERE NOT u.disabled ORDER BY s.id`, nil, func(rows *sql.Rows) error {
		var s ReportSubscription
		var at any
		if err := rows.Scan(&s.ID, &s.UserID, &s.Email, &s.Kind, &s.Region, &s.Country, &s.Format, &s.LastMonth,
			&s.CreatedBy, &at); err != nil {
			return err
		}
		var err error
		s.CreatedAt, err = scanTime(at)
		out = append(out, s)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("report subscriptions: %w", err)
	}
	return out, nil
}

// MarkReportSent records that a subscription's report of month ("2014-01")
// was enqueued. It moves forward only: an older month leaves it.
func (db *DB) MarkReportSent(ctx context.Context, id int64, month string) error {
	res, err := db.write.ExecContext(ctx, db.d.rebind(`UPDATE report_subscriptions SET last_month = ? WHERE id = ? AND last_month < ?`),
		month, id, month)
	if err != nil {
		return fmt.Errorf("mark report %d sent for %s: %w", id, month, db.mapErr(err))
	}
	_, _ = res.RowsAffected()
	return nil
}

// monthOf is the first day of t's month.
func monthOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// inCountries adds "AND country IN (...)" for a non-nil list.
func inCountries(q string, args []any, countries []string) (string, []any) {
	if countries == nil {
		return q, args
	}
	if len(countries) == 0 {
		return q + ` AND 1 = 0`, args
	}
	q += ` AND country IN (?` + strings.Repeat(`, ?`, len(countries)-1) + `)`
	for _, c := range countries {
		args = append(args, strings.ToUpper(c))
	}
	return q, args
}
