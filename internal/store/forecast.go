package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"threshold/internal/rules"
)

var _ rules.ForecastSource = (*DB)(nil)

// Forecast is one stored production forecast (package forecast makes
// them; the store does not import it, whose tests use the store): a
// place's target in one month, from data up to Cutoff.
type Forecast struct {
	Target       string    `json:"target"` // active, onset or fatalities
	Unit         string    `json:"unit"`   // country-month or admin1-month
	Country      string    `json:"country"`
	Admin1       string    `json:"admin1,omitempty"`
	Period       time.Time `json:"period"` // the month forecast, first day
	Horizon      int       `json:"horizon"`
	Cutoff       time.Time `json:"cutoff"` // the last day of data used
	Model        string    `json:"model"`
	ModelVersion string    `json:"model_version"`
	// Probability of active or onset, NaN for fatalities; Mean, Lo80 and
	// Hi80 fatalities' predictive mean and 80% interval, NaN otherwise.
	Probability float64 `json:"probability"`
	Mean        float64 `json:"mean"`
	Lo80        float64 `json:"lo80"`
	Hi80        float64 `json:"hi80"`
	// Factors is the JSON array of the forecast's contributing factors
	// (forecast.Factor).
	Factors   json.RawMessage `json:"factors"`
	CreatedAt time.Time       `json:"created_at"`
}

// SaveForecasts stores production forecasts in one transaction. A
// forecast with the key of a stored one (target, unit, place, month,
// horizon, cut-off, model version) replaces it; others are added, so the
// forecasts of earlier cut-offs stay.
func (db *DB) SaveForecasts(ctx context.Context, fs []Forecast) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save forecasts: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, db.d.rebind(`INSERT INTO forecasts (target, unit, country, admin1,
		period_start, period_end, horizon, cutoff, model, model_version, probability, mean, lo80, hi80, factors, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (target, unit, country, admin1, period_start, horizon, cutoff, model_version) DO UPDATE SET
		model = excluded.model, probability = excluded.probability, mean = excluded.mean, lo80 = excluded.lo80,
		hi80 = excluded.hi80, factors = excluded.factors, created_at = excluded.created_at`))
	if err != nil {
		return fmt.Errorf("save forecasts: %w", err)
	}
	defer stmt.Close()
	for _, f := range fs {
		factors := string(f.Factors)
		if factors == "" {
			factors = "[]"
		}
		end := f.Period.AddDate(0, 1, -1)
		if _, err := stmt.ExecContext(ctx, string(f.Target), string(f.Unit), f.Country, f.Admin1,
			dateArg(f.Period), dateArg(end), f.Horizon, dateArg(f.Cutoff), f.Model, f.ModelVersion,
			nanNull(f.Probability), nanNull(f.Mean), nanNull(f.Lo80), nanNull(f.Hi80), factors,
			db.instantArg(f.CreatedAt)); err != nil {
			return fmt.Errorf("save forecasts: %s %s %s: %w", f.Target, f.Country, dateArg(f.Period), db.mapErr(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save forecasts: %w", err)
	}
	return nil
}

func nanNull(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}

// ForecastQuery selects stored forecasts. Zero fields select everything;
// Latest keeps only each place's forecasts of the latest cut-off on or
// before AsOf (zero: any).
type ForecastQuery struct {
	Target  string
	Unit    string
	Country string
	AsOf    time.Time
	Latest  bool
}

// Forecasts returns the stored forecasts matching q, by target, unit,
// country, admin-1 area, cut-off, month and horizon.
func (db *DB) Forecasts(ctx context.Context, q ForecastQuery) ([]Forecast, error) {
	c := &conds{}
	add := func(cond string, arg any) {
		c.list = append(c.list, cond)
		c.args = append(c.args, arg)
	}
	if q.Target != "" {
		add("f.target = ?", q.Target)
	}
	if q.Unit != "" {
		add("f.unit = ?", q.Unit)
	}
	if q.Country != "" {
		add("f.country = ?", q.Country)
	}
	if !q.AsOf.IsZero() {
		add("f.cutoff <= ?", dateArg(q.AsOf))
	}
	return db.readForecasts(ctx, c, q.Latest, q.AsOf)
}

func (db *DB) readForecasts(ctx context.Context, c *conds, latest bool, asOf time.Time) ([]Forecast, error) {
	w := ""
	for i, s := range c.list {
		if i == 0 {
			w = " WHERE " + s
		} else {
			w += " AND " + s
		}
	}
	args := c.args
	if latest {
		inner := "g.target = f.target AND g.unit = f.unit AND g.country = f.country AND g.admin1 = f.admin1"
		if !asOf.IsZero() {
			inner += " AND g.cutoff <= ?"
			args = append(args, dateArg(asOf))
		}
		cond := "f.cutoff = (SELECT MAX(g.cutoff) FROM forecasts g WHERE " + inner + ")"
		if w == "" {
			w = " WHERE " + cond
		} else {
			w += " AND " + cond
		}
	}
	rows, err := db.read.QueryContext(ctx, db.d.rebind(`SELECT f.target, f.unit, f.country, f.admin1, f.period_start,
		f.horizon, f.cutoff, f.model, f.model_version, f.probability, f.mean, f.lo80, f.hi80, f.factors, f.created_at
		FROM forecasts f`+w+` ORDER BY f.target, f.unit, f.country, f.admin1, f.cutoff, f.period_start, f.horizon`), args...)
	if err != nil {
		return nil, fmt.Errorf("forecasts: %w", err)
	}
	defer rows.Close()
	var out []Forecast
	for rows.Next() {
		var (
			f                  Forecast
			factors            string
			period, cutoff, at any
			p, mean, lo, hi    sql.NullFloat64
		)
		if err := rows.Scan(&f.Target, &f.Unit, &f.Country, &f.Admin1, &period, &f.Horizon, &cutoff, &f.Model, &f.ModelVersion,
			&p, &mean, &lo, &hi, &factors, &at); err != nil {
			return nil, fmt.Errorf("forecasts: %w", err)
		}
		if f.Period, err = scanDate(period); err != nil {
			return nil, fmt.Errorf("forecasts: %w", err)
		}
		if f.Cutoff, err = scanDate(cutoff); err != nil {
			return nil, fmt.Errorf("forecasts: %w", err)
		}
		if f.CreatedAt, err = scanTime(at); err != nil {
			return nil, fmt.Errorf("forecasts: %w", err)
		}
		f.Probability, f.Mean, f.Lo80, f.Hi80 = nullNaN(p), nullNaN(mean), nullNaN(lo), nullNaN(hi)
		f.Factors = json.RawMessage(factors)
		out = append(out, f)
	}
	return out, rows.Err()
}

func nullNaN(v sql.NullFloat64) float64 {
	if !v.Valid {
		return math.NaN()
	}
	return v.Float64
}

// RuleForecasts implements rules.ForecastSource: the probabilities of
// target (active or onset, country and admin-1 forecasts alike) from each
// place's latest cut-off on or before asOf, for the countries (nil: all).
// A forecast counts as issued at its data cut-off: it is what was known
// then, so replays and rules evaluated as of a past day see the forecasts
// that day's data gave. Fatalities forecasts carry no probability and are
// never returned.
func (db *DB) RuleForecasts(ctx context.Context, target string, countries []string, asOf time.Time) ([]rules.Forecast, error) {
	if countries != nil && len(countries) == 0 {
		return nil, nil
	}
	c := &conds{}
	c.list = append(c.list, "f.target = ?", "f.probability IS NOT NULL")
	c.args = append(c.args, target)
	if !asOf.IsZero() {
		c.list = append(c.list, "f.cutoff <= ?")
		c.args = append(c.args, dateArg(asOf))
	}
	if countries != nil {
		c.list = append(c.list, "f.country IN ("+placeholders(len(countries))+")")
		for _, v := range countries {
			c.args = append(c.args, v)
		}
	}
	fs, err := db.readForecasts(ctx, c, true, asOf)
	if err != nil {
		return nil, fmt.Errorf("rule forecasts: %w", err)
	}
	out := make([]rules.Forecast, 0, len(fs))
	for _, f := range fs {
		out = append(out, rules.Forecast{Country: f.Country, Admin1: f.Admin1, Target: f.Target, Issued: f.Cutoff,
			Window: [2]time.Time{f.Period, f.Period.AddDate(0, 1, -1)}, Probability: f.Probability})
	}
	return out, nil
}
