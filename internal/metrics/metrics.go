// Package metrics holds cutover's Prometheus metrics: HTTP requests by route template and status,
// the database pools, and SQLite's group-committing writer. Each Metrics has a registry of its
// own (no global state, so tests and several servers in one process do not collide); other
// parts of the service add their collectors with Register. It knows nothing of HTTP routing or
// the store: callers hand it what to observe.
package metrics

import (
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace prefixes every metric of the service.
const Namespace = "cutover"

// Metrics is the registry of one server and the collectors it feeds.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	batch    prometheus.Histogram
}

// New returns a registry with the Go runtime, process and request metrics.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	labels := []string{"method", "route", "status"}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "http", Name: "requests_total",
		Help: "HTTP requests answered, by method, route template and status.",
	}, labels)
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "http", Name: "request_duration_seconds",
		Help: "Time to answer an HTTP request, by method, route template and status. Long polls of the event feed last up to their wait.",
		// From a cached read to a long poll of the event feed.
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, labels)
	m.batch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "sqlite", Name: "write_batch_size",
		Help:    "Write requests gathered into each SQLite commit (group commit): one fsync serves them all.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
	})
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.batch,
	)
	return m
}

// Register adds collectors, such as a background worker's queue depth and failures.
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	return nil
}

// ObserveRequest counts one answered request. route must be the route's template (such as
// /v1/migrations/:migration_id), never the requested path: ids in labels would make a series per
// resource and grow without bound.
func (m *Metrics) ObserveRequest(method, route string, status int, took time.Duration) {
	s := strconv.Itoa(status)
	m.requests.WithLabelValues(method, route, s).Inc()
	m.latency.WithLabelValues(method, route, s).Observe(took.Seconds())
}

// ObserveWriteBatch records how many write requests one SQLite commit gathered.
func (m *Metrics) ObserveWriteBatch(size int) { m.batch.Observe(float64(size)) }

// WatchStore adds the statistics of the store's connection pools (one series set per pool, by
// the db_name label) and the length of SQLite's write queue.
func (m *Metrics) WatchStore(pools map[string]*sql.DB, writeQueue func() int) error {
	names := make([]string, 0, len(pools))
	for name := range pools {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := m.Register(collectors.NewDBStatsCollector(pools[name], name)); err != nil {
			return fmt.Errorf("pool %s: %w", name, err)
		}
	}
	return m.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Subsystem: "sqlite", Name: "write_queue_length",
		Help: "Write requests waiting for SQLite's writer (0 on PostgreSQL).",
	}, func() float64 { return float64(writeQueue()) }))
}

// Registry is what /metrics serves (promhttp.HandlerFor in the HTTP layer: this package knows
// nothing of HTTP).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// WatchWebhooks adds the webhook delivery metrics: attempts by outcome (succeeded, retry,
// failed), and the queue depth, the deliveries waiting for a first or next attempt, read at
// scrape time. It returns what the delivery worker calls after each attempt.
func (m *Metrics) WatchWebhooks(queueDepth func() (int, error)) (func(outcome string), error) {
	attempts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "webhook", Name: "attempts_total",
		Help: "Webhook delivery attempts by outcome: succeeded, retry (failed, will be retried) or failed (given up).",
	}, []string{"outcome"})
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Subsystem: "webhook", Name: "queue_depth",
		Help: "Webhook deliveries waiting for their first or next attempt, on every replica.",
	}, func() float64 {
		n, err := queueDepth()
		if err != nil {
			return -1 // a scrape must not fail: -1 says the database could not be asked
		}
		return float64(n)
	})
	if err := m.Register(attempts, depth); err != nil {
		return nil, err
	}
	return func(outcome string) { attempts.WithLabelValues(outcome).Inc() }, nil
}
