package rules

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"threshold/internal/alert"
	"threshold/internal/detect"
	"threshold/internal/indicator"
)

// indicatorRule fires where the indicator compares with the threshold in
// the evaluated period and the For-1 before it.
func (e *evaluator) indicatorRule(ctx context.Context, r *Rule, countries []string) ([]alert.Firing, error) {
	c := r.Indicator
	cur, win := e.period(r)
	n := max(evidencePeriods, c.For)
	s, err := e.series(ctx, countries, r.Period, c.Name, cur, n, r.Level)
	if err != nil {
		return nil, err
	}
	var out []alert.Firing
	for _, p := range s.places() {
		row := s.values[p]
		holds := true
		for _, v := range row[n-c.For:] {
			if math.IsNaN(v) || !c.Op.Holds(v, c.Value) {
				holds = false
				break
			}
		}
		if !holds {
			continue
		}
		v := row[n-1]
		var b strings.Builder
		fmt.Fprintf(&b, "%s in %s in %s: %s", subject(c.Name), e.placeName(p), label(r.Period, cur), num(v))
		if c.For > 1 {
			fmt.Fprintf(&b, ", %s %s for %d %ss running", c.Op, num(c.Value), c.For, periodWord(r.Period))
		} else {
			fmt.Fprintf(&b, " (%s %s)", c.Op, num(c.Value))
		}
		if med := median(row[:n-1]); !math.IsNaN(med) {
			fmt.Fprintf(&b, "; the %s median over the %d %ss before was %s", adjective(r.Period), n-1, periodWord(r.Period), num(med))
			if med > 0 && v > med {
				fmt.Fprintf(&b, " (%s)", ratio(v/med))
			}
		}
		b.WriteString(".")
		f := alert.Firing{
			Country: p.Country, Admin1: p.Admin1, Window: win, Score: v,
			Title:       fmt.Sprintf("%s: %s %s in %s", r.Name, subject(c.Name), num(v), e.placeName(p)),
			Explanation: b.String(),
			Indicator:   c.Name,
			Evidence:    s.evidence(p, evidencePeriods),
		}
		if f.Events, err = e.events(ctx, p, categoriesOf(c.Name), 0, win.Start, win.End); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// detectorRule runs the detection method on each place's series and fires
// where it alarms.
func (e *evaluator) detectorRule(ctx context.Context, r *Rule, countries []string) ([]alert.Firing, error) {
	c := r.Detector
	cfg := c.detectConfig(r.Period)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cur, win := e.period(r)
	n := cfg.Baseline + max(cfg.Window, cfg.CUSUMSpan, cfg.ChangeSpan)
	s, err := e.series(ctx, countries, r.Period, c.Indicator, cur, n, r.Level)
	if err != nil {
		return nil, err
	}
	labels := make([]string, n)
	for i, st := range s.starts {
		labels[i] = label(r.Period, st)
	}
	var out []alert.Firing
	for _, p := range s.places() {
		row := s.values[p]
		if row[n-1] == 0 {
			continue // nothing in the evaluated period: no threshold moment now
		}
		ser := detect.Series{Subject: subject(c.Indicator) + " in " + e.placeName(p), Period: detectPeriod(r.Period), Labels: labels, Values: row}
		var d detect.Detection
		switch c.Method {
		case Surprise:
			d, err = detect.Surprise(ser, cfg)
		case CUSUM:
			d, err = detect.CUSUM(ser, cfg)
		case ChangePoint:
			d, err = detect.ChangePoint(ser, cfg)
		default:
			return nil, fmt.Errorf("unknown detector method %q", c.Method)
		}
		if errors.Is(err, detect.ErrShortHistory) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ser.Subject, err)
		}
		if !d.Alarm || d.Params.Observed < c.MinValue {
			continue
		}
		f := alert.Firing{
			Country: p.Country, Admin1: p.Admin1, Window: win, Score: d.Score,
			Title:       fmt.Sprintf("%s: %s in %s", r.Name, subject(c.Indicator), e.placeName(p)),
			Explanation: d.Explanation,
			Indicator:   c.Indicator,
			Evidence:    s.evidence(p, evidencePeriods),
		}
		// The events of the whole scored window, the deadliest first.
		from := win.Start
		if i := indexOf(labels, d.Params.WindowFrom); i >= 0 {
			from = s.starts[i]
		}
		if f.Events, err = e.events(ctx, p, categoriesOf(c.Indicator), 0, from, win.End); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// forecastRule fires where a forecast of the target reaches the
// probability. Sources without forecasts (ForecastSource) make it a no-op.
func (e *evaluator) forecastRule(ctx context.Context, r *Rule, countries []string) ([]alert.Firing, error) {
	fs, ok := e.src.(ForecastSource)
	if !ok {
		return nil, nil
	}
	c := r.Forecast
	got, err := fs.RuleForecasts(ctx, c.Target, countries, e.asOf)
	if err != nil {
		return nil, err
	}
	var out []alert.Firing
	for _, f := range got {
		if f.Probability < c.Probability || f.Issued.After(e.asOf) || (r.Level == Admin1Level) != (f.Admin1 != "") {
			continue
		}
		p := indicator.Place{Country: f.Country, Admin1: f.Admin1}
		out = append(out, alert.Firing{
			Country: f.Country, Admin1: f.Admin1,
			Window: alert.Window{Start: f.Window[0], End: f.Window[1]},
			Score:  f.Probability,
			Title:  fmt.Sprintf("%s: %s %.0f%% in %s", r.Name, c.Target, 100*f.Probability, e.placeName(p)),
			Explanation: fmt.Sprintf("The forecast issued %s gives %s in %s from %s to %s a probability of %.0f%% (alert at %.0f%%).",
				f.Issued.Format("2006-01-02"), c.Target, e.placeName(p), f.Window[0].Format("2006-01-02"), f.Window[1].Format("2006-01-02"),
				100*f.Probability, 100*c.Probability),
		})
	}
	return out, nil
}
