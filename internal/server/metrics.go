package server

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"threshold/internal/ingest"
)

// Metrics are the process's Prometheus metrics, served at /metrics. Each
// server has its own registry, so that tests and embedded servers never
// share counters.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	rows     *prometheus.CounterVec
	files    prometheus.Counter
}

// NewMetrics returns a registry with the Go runtime and process
// collectors and the server's own metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "threshold_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "threshold_http_request_duration_seconds",
			Help:    "Time from reading a request's headers to the end of its response, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "threshold_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "threshold_ingest_rows_total",
			Help: "Rows ingested through the server, by outcome: inserted, updated, unchanged or rejected.",
		}, []string{"outcome"}),
		files: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "threshold_ingest_files_total",
			Help: "Files (or archive entries) ingested through the server.",
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.inFlight, m.rows, m.files,
	)
	return m
}

// Register adds collectors of other packages to the registry.
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Ingested counts the outcome of an ingest.
func (m *Metrics) Ingested(s ingest.Summary) {
	m.files.Add(float64(len(s.Files)))
	m.rows.WithLabelValues("inserted").Add(float64(s.Inserted))
	m.rows.WithLabelValues("updated").Add(float64(s.Updated))
	m.rows.WithLabelValues("unchanged").Add(float64(s.Unchanged))
	m.rows.WithLabelValues("rejected").Add(float64(s.Rejected))
}

// observe records one finished request.
func (m *Metrics) observe(route, method string, status int, seconds float64) {
	method = metricMethod(method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(seconds)
}

// metricMethod bounds the method label: clients may send any token.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
