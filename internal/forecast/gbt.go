package forecast

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
)

// GBTConfig configures gradient-boosted trees.
type GBTConfig struct {
	Trees        int     // boosting rounds
	Depth        int     // of each tree
	LearningRate float64 // shrinkage of each tree's values
	Lambda       float64 // L2 penalty on leaf values
	MinHessian   float64 // least sum of p(1-p) in a leaf
	Bins         int     // candidate split points per feature, at most
	Subsample    float64 // share of rows drawn, without replacement, for each tree; 0 or 1 for all
	Seed         uint64  // of the row draws
}

// DefaultGBT is the configuration the backtest uses, chosen on outcome
// years 1980-1993 only (see DefaultLambda) among a handful of depths,
// rates and leaf sizes; the differences between them were small.
var DefaultGBT = GBTConfig{Trees: 150, Depth: 3, LearningRate: 0.05, Lambda: 1, MinHessian: 5, Bins: 32, Subsample: 0.8, Seed: 1}

// GBT is a fitted gradient-boosted tree classifier (Friedman's gradient
// boosting with Newton steps, as in XGBoost): the log odds are
// Base + Σ trees, each tree fitted to the gradient and hessian of the log
// loss at the previous rounds' predictions.
type GBT struct {
	Base  float64
	Trees []Tree
}

// Tree is one regression tree: Nodes[0] is its root.
type Tree struct{ Nodes []Node }

// Node is a split (Left >= 0: x[Feature] <= Threshold goes left) or a
// leaf with Value.
type Node struct {
	Feature     int
	Threshold   float64
	Left, Right int
	Value       float64
}

// FitGBT fits gradient-boosted trees to the rows of x (no NaN) and the
// 0/1 outcomes y.
func FitGBT(x [][]float64, y []float64, cfg GBTConfig) (*GBT, error) {
	n := len(x)
	if n == 0 || len(y) != n || cfg.Trees < 1 || cfg.Depth < 1 || cfg.Bins < 2 {
		return nil, fmt.Errorf("gbt: %d rows, %d outcomes, config %+v", n, len(y), cfg)
	}
	p := len(x[0])
	cuts := make([][]float64, p)
	binned := make([][]uint8, p) // by feature, then row
	if cfg.Bins > 256 {
		cfg.Bins = 256
	}
	for j := range p {
		col := make([]float64, n)
		for i := range n {
			col[i] = x[i][j]
		}
		cuts[j] = cutPoints(col, cfg.Bins)
		binned[j] = make([]uint8, n)
		for i, v := range col {
			binned[j][i] = uint8(sort.SearchFloat64s(cuts[j], v))
		}
	}
	m := &GBT{Base: logit(clampP(mean0(y, nil)))}
	f := make([]float64, n)
	for i := range f {
		f[i] = m.Base
	}
	g, h := make([]float64, n), make([]float64, n)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	b := &builder{cfg: cfg, cuts: cuts, binned: binned, g: g, h: h}
	for range cfg.Trees {
		for i := range n {
			pi := sigmoid(f[i])
			g[i], h[i] = pi-y[i], pi*(1-pi)
		}
		rows := all
		if cfg.Subsample > 0 && cfg.Subsample < 1 {
			rows = slices.Clone(all)
			rng.Shuffle(len(rows), func(a, c int) { rows[a], rows[c] = rows[c], rows[a] })
			rows = rows[:max(1, int(cfg.Subsample*float64(n)))]
			slices.Sort(rows)
		}
		t := b.grow(rows)
		m.Trees = append(m.Trees, t)
		for i := range n {
			f[i] += t.value(x[i])
		}
	}
	return m, nil
}

// Predict returns P(y=1|row).
func (m *GBT) Predict(row []float64) float64 {
	z := m.Base
	for i := range m.Trees {
		z += m.Trees[i].value(row)
	}
	return sigmoid(z)
}

func (t *Tree) value(row []float64) float64 {
	k := 0
	for {
		nd := &t.Nodes[k]
		if nd.Left < 0 {
			return nd.Value
		}
		if row[nd.Feature] <= nd.Threshold {
			k = nd.Left
		} else {
			k = nd.Right
		}
	}
}

// cutPoints returns up to bins-1 distinct split thresholds at quantiles
// of v: a value goes to bin i when it is at most cuts[i] (and above
// cuts[i-1]).
func cutPoints(v []float64, bins int) []float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	var cuts []float64
	top := s[len(s)-1]
	for k := 1; k < bins; k++ {
		c := s[k*len(s)/bins]
		if c < top && (len(cuts) == 0 || cuts[len(cuts)-1] < c) {
			cuts = append(cuts, c)
		}
	}
	// The largest value gets no cut: it lies in the last bin.
	return cuts
}

// builder grows one tree on the current gradients.
type builder struct {
	cfg    GBTConfig
	cuts   [][]float64
	binned [][]uint8
	g, h   []float64
	nodes  []Node
}

func (b *builder) grow(rows []int) Tree {
	b.nodes = nil
	b.node(rows, 0)
	return Tree{Nodes: slices.Clone(b.nodes)}
}

// node adds the node of rows at depth d and returns its index.
func (b *builder) node(rows []int, d int) int {
	G, H := 0.0, 0.0
	for _, i := range rows {
		G += b.g[i]
		H += b.h[i]
	}
	k := len(b.nodes)
	b.nodes = append(b.nodes, Node{Left: -1, Right: -1, Value: -G / (H + b.cfg.Lambda) * b.cfg.LearningRate})
	if d >= b.cfg.Depth || H < 2*b.cfg.MinHessian {
		return k
	}
	lam := b.cfg.Lambda
	parent := G * G / (H + lam)
	bestGain, bestF, bestBin := 1e-12, -1, 0
	var hg, hh [256]float64
	for j, col := range b.binned {
		nb := len(b.cuts[j]) + 1
		if nb < 2 {
			continue
		}
		clear(hg[:nb])
		clear(hh[:nb])
		for _, i := range rows {
			hg[col[i]] += b.g[i]
			hh[col[i]] += b.h[i]
		}
		gl, hl := 0.0, 0.0
		for bin := 0; bin < nb-1; bin++ {
			gl += hg[bin]
			hl += hh[bin]
			gr, hr := G-gl, H-hl
			if hl < b.cfg.MinHessian || hr < b.cfg.MinHessian {
				continue
			}
			gain := gl*gl/(hl+lam) + gr*gr/(hr+lam) - parent
			if gain > bestGain {
				bestGain, bestF, bestBin = gain, j, bin
			}
		}
	}
	if bestF < 0 {
		return k
	}
	var left, right []int
	col := b.binned[bestF]
	for _, i := range rows {
		if int(col[i]) <= bestBin {
			left = append(left, i)
		} else {
			right = append(right, i)
		}
	}
	l := b.node(left, d+1)
	r := b.node(right, d+1)
	b.nodes[k] = Node{Feature: bestF, Threshold: b.cuts[bestF][bestBin], Left: l, Right: r}
	return k
}
