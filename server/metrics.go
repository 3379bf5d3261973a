package server

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics holds the server's Prometheus collectors in a registry of its own,
// so nothing registered globally by a dependency is exposed by accident.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// Gauge is a figure the rest of Strongroom exposes with the metrics, read
// when they are scraped: a gauge, or a counter when Counter is set.
type Gauge struct {
	Name, Help string // Name without the "strongroom_" prefix
	Counter    bool
	Value      func() float64
}

func (g Gauge) collector() prometheus.Collector {
	if g.Counter {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "strongroom", Name: g.Name, Help: g.Help}, g.Value)
	}
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "strongroom", Name: g.Name, Help: g.Help}, g.Value)
}

func newMetrics(gauges []Gauge, more ...prometheus.Collector) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "strongroom",
			Name:      "http_requests_total",
			Help:      "HTTPS requests served, by method and status code.",
		}, []string{"method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "strongroom",
			Name:      "http_request_duration_seconds",
			Help:      "Time spent serving HTTPS requests, by method.",
			Buckets:   prometheus.DefBuckets,
		}, []string{"method"}),
	}
	m.registry.MustRegister(
		m.requests,
		m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for _, g := range gauges {
		m.registry.MustRegister(g.collector())
	}
	m.registry.MustRegister(more...)
	return m
}

// observe records one finished request. It is safe on a nil *metrics.
func (m *metrics) observe(method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	method = metricMethod(method)
	m.requests.WithLabelValues(method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method).Observe(d.Seconds())
}

// handler serves the registry at /metrics and, when there is one, the
// operator's status page at /status; nothing else.
func (m *metrics) handler(logger *slog.Logger, status http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		Registry: m.registry,
	}))
	if status != nil {
		mux.Handle("GET /status", status)
	}
	return mux
}

// metricMethod bounds the method label: clients choose the method, and an
// unbounded label would let them grow the registry without limit.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
