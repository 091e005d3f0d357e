package detect

import (
	"math"
)

// CUSUM looks for a sustained rise over the latest Config.CUSUMSpan
// periods. It fits the Config.Baseline periods before the span exactly as
// Surprise does, then runs Page's cumulative sum of log-likelihood ratios
//
//	S_t = max(0, S_{t−1} + log f1(x_t)/f0(x_t)),  S before the span = 0,
//
// where f0 is the baseline fit and f1 the same distribution with its mean
// multiplied by Config.CUSUMShift (Lucas 1985 for Poisson counts; the
// negative-binomial form keeps the fitted size). The score is S at the
// latest period in log10 units: the odds, accumulated over the current
// run, that the rate has risen by the shift. Periods that look like the
// baseline pull S back towards zero by about (Shift−1)·mean·log10(e) a
// period, so a single spike fades while a sustained rise accumulates;
// after a near-zero baseline the fade is slow, and one large spike keeps
// the score up for the whole span.
func CUSUM(s Series, c Config) (Detection, error) {
	n, wFrom, bFrom, f, err := prepare(s, c, c.CUSUMSpan, "CUSUM span")
	if err != nil {
		return Detection{}, err
	}
	var sum, obs float64
	runFrom, crossed := -1, -1
	for i := wFrom; i < n; i++ {
		x := s.Values[i]
		obs += x
		sum = max(0, sum+f.logLikelihoodRatio(x, c.CUSUMShift))
		switch {
		case sum == 0:
			runFrom = -1
		case runFrom < 0:
			runFrom = i
		}
		if crossed < 0 && sum/math.Ln10 >= c.CUSUMThreshold {
			crossed = i
		}
	}
	d := Detection{
		Method:    MethodCUSUM,
		Score:     math.Min(MaxScore, sum/math.Ln10),
		Threshold: c.CUSUMThreshold,
		Label:     s.Labels[n-1],
		Params: Params{
			BaselineFrom:    s.Labels[bFrom],
			BaselineTo:      s.Labels[wFrom-1],
			BaselinePeriods: wFrom - bFrom,
			Mean:            f.mean,
			Variance:        f.variance,
			Median:          f.median,
			Size:            f.size,
			WindowFrom:      s.Labels[wFrom],
			WindowTo:        s.Labels[n-1],
			WindowPeriods:   c.CUSUMSpan,
			Observed:        obs,
			Expected:        f.mean * float64(c.CUSUMSpan),
			Shift:           c.CUSUMShift,
		},
	}
	if math.IsNaN(d.Score) {
		d.Score = 0
	}
	if runFrom >= 0 {
		d.Params.RunFrom = s.Labels[runFrom]
	}
	if crossed >= 0 {
		d.Params.CrossedAt = s.Labels[crossed]
	}
	d.Alarm = d.Score >= d.Threshold
	d.Explanation = explainCUSUM(s, d)
	return d, nil
}
