package forecast

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"strings"
)

// The HTML report of a monthly backtest: one self-contained page (no
// external assets) with the scores, and for binary targets each model's
// reliability diagram and ROC and precision-recall curves drawn as SVG.

// plotSize is the side of a plot's square drawing area, in SVG units;
// plotPad the margin for the axes' labels.
const (
	plotSize = 240.0
	plotPad  = 36.0
)

// modelColours are the curves' colours, by model order.
var modelColours = []string{"#7f7f7f", "#bcbd22", "#8c564b", "#1f77b4", "#2ca02c", "#d62728"}

type htmlCurve struct {
	Model  string
	Colour string
	Points string // an SVG polyline's points, in plot coordinates
	Dots   []htmlDot
}

type htmlDot struct {
	X, Y, R float64
	Title   string
}

type htmlPlot struct {
	Title, XLabel, YLabel string
	Curves                []htmlCurve
	Ticks                 []htmlTick
	Diagonal              bool
}

type htmlTick struct {
	Pos   float64 // from the left along x, from the bottom along y
	Y     float64 // Pos on the y axis, from the top
	Label string
}

type htmlPage struct {
	R     *MonthlyReport
	Plots []htmlPlot
	Size  float64
	Pad   float64
	Full  float64
	F     func(Interval, int) string
}

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Backtest: {{.R.Target}}, {{.R.Unit}}, horizon {{.R.Horizon}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{white-space:nowrap;padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}.plots{display:flex;flex-wrap:wrap;gap:1rem}
figure{margin:0}figcaption{font-weight:600;text-align:center}svg text{font-size:10px}
.legend span{display:inline-block;margin-right:1rem}.legend i{display:inline-block;width:1.5rem;height:3px;vertical-align:middle;margin-right:.3rem}
</style></head><body>
<h1>{{.R.Target}}, {{.R.Unit}}, {{.R.Horizon}} month{{if ne .R.Horizon 1}}s{{end}} ahead</h1>
<p>Outcome months {{.R.From}} to {{.R.To}}, training from origin {{.R.TrainFrom}}: {{.R.Scored}} place-months of {{.R.Places}} places, {{.R.Events}} events.
{{.R.Fits}} fits, one per {{.R.Retrain}} outcome months ({{printf "%.2f" .R.FitSeconds}} s each); learners' non-event sampling rate {{printf "%.3g" .R.SampleRate}};
95% intervals from {{.R.Replicates}} bootstrap replicates.</p>
{{range .R.Notes}}<p>Note: {{.}}</p>{{end}}
{{if .R.Models}}
<table><tr><th>model</th><th>Brier</th><th>log loss</th><th>AUROC</th><th>AUPR</th><th>calibration slope</th></tr>
{{range .R.Models}}<tr><td>{{.Model}}</td><td>{{call $.F .Brier 5}}</td><td>{{call $.F .LogLoss 4}}</td><td>{{call $.F .AUROC 3}}</td><td>{{call $.F .AUPR 3}}</td><td>{{call $.F .CalibrationSlope 2}}</td></tr>
{{end}}</table>
<table><tr><th>difference</th><th>Brier</th><th>log loss</th><th>AUROC</th><th>AUPR</th></tr>
{{range .R.Differences}}<tr><td>{{.Model}} − {{.Reference}}</td><td>{{call $.F .Brier 5}}</td><td>{{call $.F .LogLoss 4}}</td><td>{{call $.F .AUROC 3}}</td><td>{{call $.F .AUPR 3}}</td></tr>
{{end}}</table>
{{end}}
{{if .R.CountModels}}
<table><tr><th>model</th><th>CRPS</th><th>MAE of median</th><th>80% coverage</th><th>80% width</th></tr>
{{range .R.CountModels}}<tr><td>{{.Model}}</td><td>{{call $.F .CRPS 2}}</td><td>{{call $.F .MAE 2}}</td><td>{{printf "%.3f" .Coverage80}}</td><td>{{printf "%.1f" .Width80}}</td></tr>
{{end}}</table>
<table><tr><th>difference</th><th>CRPS</th></tr>
{{range .R.CountDifferences}}<tr><td>{{.Model}} − {{.Reference}}</td><td>{{call $.F .CRPS 2}}</td></tr>
{{end}}</table>
{{end}}
{{with .Plots}}<p class="legend">{{range (index . 0).Curves}}<span><i style="background:{{.Colour}}"></i>{{.Model}}</span>{{end}}</p>{{end}}
<div class="plots">
{{range .Plots}}<figure><figcaption>{{.Title}}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="{{$.Full}}" height="{{$.Full}}" viewBox="0 0 {{$.Full}} {{$.Full}}" role="img" aria-label="{{.Title}}">
<g transform="translate({{$.Pad}},8)">
<rect width="{{$.Size}}" height="{{$.Size}}" fill="none" stroke="#999"/>
{{if .Diagonal}}<line x1="0" y1="{{$.Size}}" x2="{{$.Size}}" y2="0" stroke="#ccc" stroke-dasharray="4 3"/>{{end}}
{{range .Ticks}}<text x="{{.Pos}}" y="{{$.Size}}" dy="12" text-anchor="middle">{{.Label}}</text><text x="-4" y="{{.Y}}" dy="3" text-anchor="end">{{.Label}}</text>{{end}}
{{range .Curves}}{{if .Points}}<polyline points="{{.Points}}" fill="none" stroke="{{.Colour}}" stroke-width="1.5"/>{{end}}
{{$c := .Colour}}{{range .Dots}}<circle cx="{{.X}}" cy="{{.Y}}" r="{{.R}}" fill="{{$c}}" fill-opacity="0.7"><title>{{.Title}}</title></circle>{{end}}{{end}}
<text x="{{$.Size}}" y="{{$.Size}}" dy="26" text-anchor="end">{{.XLabel}}</text>
<text transform="rotate(-90)" x="0" y="-26" text-anchor="end">{{.YLabel}}</text>
</g></svg></figure>
{{end}}</div>
<p>Data: what the store holds. For the global UCDP GED extract (ged211_precise_location_subset_global), only precisely located events: figures undercount deaths and activity wherever events are located only to a region or country.</p>
</body></html>
`))

// WriteHTMLFile writes res's HTML report to path.
func WriteHTMLFile(path string, res *MonthlyResult) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	return WriteHTML(f, res)
}

// WriteHTML writes res's HTML report to w.
func WriteHTML(w io.Writer, res *MonthlyResult) error {
	page := htmlPage{R: res.Report, Size: plotSize, Pad: plotPad, Full: plotSize + plotPad + 8, F: formatInterval}
	if len(res.Probs) > 0 {
		page.Plots = curvePlots(res)
	}
	if err := reportTemplate.Execute(w, page); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

func formatInterval(i Interval, prec int) string {
	if math.IsNaN(i.Value) {
		return "–"
	}
	if math.IsNaN(i.Lo) {
		return fmt.Sprintf("%.*f", prec, i.Value)
	}
	return fmt.Sprintf("%.*f [%.*f, %.*f]", prec, i.Value, prec, i.Lo, prec, i.Hi)
}

// curvePlots draws the reliability diagram (on a square-root scale, where
// rare-event forecasts cluster near 0), the ROC curve and the
// precision-recall curve of every model.
func curvePlots(res *MonthlyResult) []htmlPlot {
	ticks := func(scale func(float64) float64, vs ...float64) []htmlTick {
		var out []htmlTick
		for _, v := range vs {
			pos := round1(scale(v) * plotSize)
			out = append(out, htmlTick{Pos: pos, Y: plotSize - pos, Label: fmt.Sprint(v)})
		}
		return out
	}
	lin := ticks(func(v float64) float64 { return v }, 0, 0.25, 0.5, 0.75, 1)
	sq := ticks(math.Sqrt, 0, 0.01, 0.05, 0.2, 0.5, 1)
	rel := htmlPlot{Title: "Reliability (square-root scale)", XLabel: "mean forecast", YLabel: "observed share", Diagonal: true, Ticks: sq}
	roc := htmlPlot{Title: "ROC", XLabel: "false positive rate", YLabel: "true positive rate", Diagonal: true, Ticks: lin}
	pr := htmlPlot{Title: "Precision-recall", XLabel: "recall", YLabel: "precision", Ticks: lin}
	scores := map[string]Score{}
	for _, s := range res.Report.Models {
		scores[s.Model] = s
	}
	for k, m := range res.Models {
		colour := modelColours[k%len(modelColours)]
		// Reliability: one dot per calibration bin, sized by its count.
		c := htmlCurve{Model: m, Colour: colour}
		var pts []string
		for _, b := range scores[m].Calibration {
			if b.N == 0 {
				continue
			}
			x, y := math.Sqrt(b.Forecast)*plotSize, plotSize-math.Sqrt(b.Observed)*plotSize
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
			c.Dots = append(c.Dots, htmlDot{X: round1(x), Y: round1(y), R: round1(1.5 + math.Log10(float64(b.N))),
				Title: fmt.Sprintf("%s: forecasts in (%.3f, %.3f], n %d, mean %.4f, observed %.4f", m, b.Lo, b.Hi, b.N, b.Forecast, b.Observed)})
		}
		c.Points = strings.Join(pts, " ")
		rel.Curves = append(rel.Curves, c)
		rp, pp := rocPR(res.Probs[m], res.Y)
		roc.Curves = append(roc.Curves, htmlCurve{Model: m, Colour: colour, Points: rp})
		pr.Curves = append(pr.Curves, htmlCurve{Model: m, Colour: colour, Points: pp})
	}
	return []htmlPlot{rel, roc, pr}
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// rocPR returns the ROC and precision-recall curves of forecasts p for
// outcomes y as SVG polyline points, at most about 300 each.
func rocPR(p, y []float64) (roc, pr string) {
	order, pos, neg := rankOrder(p, y)
	if pos == 0 || neg == 0 {
		return "", ""
	}
	var rocPts, prPts []string
	add := func(tp, fp float64) {
		rocPts = append(rocPts, fmt.Sprintf("%.1f,%.1f", fp/neg*plotSize, plotSize-tp/pos*plotSize))
		if tp+fp > 0 {
			prPts = append(prPts, fmt.Sprintf("%.1f,%.1f", tp/pos*plotSize, plotSize-tp/(tp+fp)*plotSize))
		}
	}
	add(0, 0)
	step := max(1, len(order)/300)
	var tp, fp float64
	for a := 0; a < len(order); {
		b := a
		for b < len(order) && p[order[b]] == p[order[a]] {
			if y[order[b]] > 0 {
				tp++
			} else {
				fp++
			}
			b++
		}
		if b/step != a/step || b == len(order) {
			add(tp, fp)
		}
		a = b
	}
	return strings.Join(rocPts, " "), strings.Join(prPts, " ")
}
