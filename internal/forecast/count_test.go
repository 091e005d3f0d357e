package forecast

import (
	"math"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// nbPMF is the negative binomial's probability of k, written out
// independently of Predictive.walk.
func nbPMF(k int, mu, alpha float64) float64 {
	r := 1 / alpha
	lg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
	return math.Exp(lg(float64(k)+r) - lg(r) - lg(float64(k)+1) + r*math.Log(r/(r+mu)) + float64(k)*math.Log(mu/(r+mu)))
}

// TestNBCRPS checks the CRPS of negative binomials against its other
// form, E|X−y| − E|X−X'|/2, summed over the probabilities.
func TestNBCRPS(t *testing.T) {
	for _, tt := range []struct {
		mu, alpha, y float64
	}{
		{0.3, 2, 0}, {0.3, 2, 4}, {5, 0.5, 3}, {5, 0.5, 40}, {20, 1e-4, 20}, {60, 1.5, 0}, {2, 3, 250},
	} {
		const K = 6000
		p := make([]float64, K)
		for k := range p {
			p[k] = nbPMF(k, tt.mu, tt.alpha)
		}
		var e1, e2 float64
		for i := range K {
			e1 += p[i] * math.Abs(float64(i)-tt.y)
			for j := range K {
				if p[i]*p[j] > 1e-300 {
					e2 += p[i] * p[j] * math.Abs(float64(i-j))
				}
			}
		}
		want := e1 - e2/2
		if got := NB(tt.mu, tt.alpha).CRPS(tt.y); math.Abs(got-want) > 1e-6*math.Max(1, want) {
			t.Errorf("NB(%g, %g).CRPS(%g) = %.8f, want %.8f", tt.mu, tt.alpha, tt.y, got, want)
		}
	}
	// A point mass and an empirical sample.
	if got := PointMass(7).CRPS(3); got != 4 {
		t.Errorf("PointMass(7).CRPS(3) = %g, want 4", got)
	}
	// Sample {0, 10}: E|X−4| = 5, E|X−X'| = 5, CRPS 2.5.
	if got := Empirical([]float64{10, 0}).CRPS(4); math.Abs(got-2.5) > 1e-12 {
		t.Errorf("Empirical{0, 10}.CRPS(4) = %g, want 2.5", got)
	}
}

// TestNBQuantileNearPoisson checks quantiles of a negative binomial with
// a vanishing dispersion against gonum's Poisson.
func TestNBQuantileNearPoisson(t *testing.T) {
	for _, mu := range []float64{0.5, 3, 25, 400} {
		pois := distuv.Poisson{Lambda: mu}
		for _, q := range []float64{0.1, 0.5, 0.9} {
			got := NB(mu, 1e-9).Quantile(q)
			if pois.CDF(got) < q-1e-6 || (got > 0 && pois.CDF(got-1) >= q+1e-6) {
				t.Errorf("NB(%g, 0).Quantile(%g) = %g: Poisson CDF there %g, one below %g", mu, q, got, pois.CDF(got), pois.CDF(got-1))
			}
		}
	}
}

// TestFitPoissonGroupMeans fits a Poisson regression of the Central
// African Republic's monthly fatalities on whether the month before was
// active: with a negligible penalty, the fitted means are the two groups'
// sample means (the MLE of a saturated log-linear model).
func TestFitPoissonGroupMeans(t *testing.T) {
	values, _ := gedIndicators(t, carMexico[:1])
	mp, err := BuildMonthly(CountryMonth, values, nil, time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var x [][]float64
	var y []float64
	var sum, n [2]float64
	for m := 1; m < mp.Months; m++ {
		g := 0
		if mp.active(0, m-1) {
			g = 1
		}
		x = append(x, []float64{float64(g)})
		y = append(y, mp.Fatalities(0, m))
		sum[g] += mp.Fatalities(0, m)
		n[g]++
	}
	pm, err := FitPoisson(x, y, 1e-9)
	if err != nil {
		t.Fatal(err)
	}
	for g := range 2 {
		want := sum[g] / n[g]
		if got := pm.Mean([]float64{float64(g)}); math.Abs(got-want) > 1e-3*want {
			t.Errorf("mean after an active month %v = %g, want the sample mean %g (%g months)", g == 1, got, want, n[g])
		}
	}
	// The moments' dispersion of a Poisson sample is about 0.
	mu := make([]float64, len(y))
	for i := range mu {
		mu[i] = pm.Mean(x[i])
	}
	if a := NBDispersion(y, mu); a < 1 {
		t.Errorf("CAR fatalities dispersion %g: monthly deaths are far more dispersed than Poisson", a)
	}
}
