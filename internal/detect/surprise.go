package detect

// Surprise scores the latest Config.Window periods of s against the
// Config.Baseline periods before them (fewer if the series is shorter, but
// at least Config.MinHistory, else ErrShortHistory).
//
// The baseline is fitted by the method of moments: Poisson with the
// baseline mean when the sample variance does not exceed it, else negative
// binomial with size r = mean²/(variance − mean). The mean is floored at
// Config.MeanFloor. The score is −log10 P(total ≥ observed) for the window
// total under that fit: 2 means 1 in 100, 3 means 1 in 1,000. An
// over-dispersed history has a fatter tail, so the same spike scores lower
// after a volatile history than after a steady one.
func Surprise(s Series, c Config) (Detection, error) {
	n, wFrom, bFrom, f, err := prepare(s, c, c.Window, "window")
	if err != nil {
		return Detection{}, err
	}
	var obs float64
	for _, v := range s.Values[wFrom:] {
		obs += v
	}
	p := f.upperTail(obs, c.Window)
	d := Detection{
		Method:    SurprisePoisson,
		Score:     score(p),
		Threshold: c.SurpriseThreshold,
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
			WindowPeriods:   c.Window,
			Observed:        obs,
			Expected:        f.mean * float64(c.Window),
			TailProbability: p,
		},
	}
	if f.size > 0 {
		d.Method = SurpriseNegBin
	}
	d.Alarm = d.Score >= d.Threshold
	d.Explanation = explainSurprise(s, d)
	return d, nil
}
