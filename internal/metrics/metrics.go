package metrics

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// Metrics holds a server's metrics: its registry, and the hooks the
// engine, the dispatcher, the recorder and the API call. Build it with
// New; it is safe for concurrent use.
type Metrics struct {
	reg        *prometheus.Registry
	messages   *prometheus.CounterVec
	events     *prometheus.CounterVec
	activities *prometheus.HistogramVec
	jobs       *prometheus.HistogramVec
	requests   *prometheus.HistogramVec
	resting    *resting
}

// Config is what Metrics reads at scrape time.
type Config struct {
	// Store is where the outbox's queue is counted; required.
	Store *store.Store
	// Log tells of a count of the outbox that failed (slog.Default when
	// nil).
	Log *slog.Logger
	// DepthTimeout bounds the scrape's count of the outbox
	// (DefaultDepthTimeout when zero); DepthFresh is how long a count is
	// reused by the next scrapes (DefaultDepthFresh when zero).
	DepthTimeout, DepthFresh time.Duration
}

// How the outbox's queue is read at scrape time.
const (
	DefaultDepthTimeout = 2 * time.Second
	DefaultDepthFresh   = time.Second
)

// Buckets of the histograms, in seconds: activities and jobs take from
// milliseconds (a start) to an hour (a large audience); requests from a
// millisecond to a long export.
var (
	workBuckets    = []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}
	requestBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 120}
)

// New builds a server's metrics on a registry of their own (never the
// global one: two servers in one process, as tests run them, each count
// their own), with Go's and the process's collectors.
func New(cfg Config) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), resting: &resting{}}
	m.messages = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fanfare_messages_total",
		Help: "Messages this node's dispatcher settled, by channel and outcome (sent, failed, excluded, retry, in_doubt, pending)."},
		[]string{"channel", "outcome"})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fanfare_events_total",
		Help: "Tracking and feedback events this node wrote, by type (open, click, delivered, bounce_hard, bounce_soft, complaint, unsubscribe)."},
		[]string{"type"})
	m.activities = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "fanfare_activity_duration_seconds",
		Help: "Campaign activity executions on this node, by activity type and outcome (done, error, lease_lost).", Buckets: workBuckets},
		[]string{"type", "outcome"})
	m.jobs = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "fanfare_job_duration_seconds",
		Help: "Durable jobs this node held, from claim to done, retry, failed or released, by kind and outcome.", Buckets: workBuckets},
		[]string{"kind", "outcome"})
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "fanfare_http_request_duration_seconds",
		Help: "HTTP requests this node answered, by route pattern and status class.", Buckets: requestBuckets},
		[]string{"route", "status"})
	m.reg.MustRegister(m.messages, m.events, m.activities, m.jobs, m.requests,
		newDepths(cfg), m.resting,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the exposition. A collector that fails (the store did
// not answer) leaves its metrics out and the others are served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Registry is the metrics' registry (tests gather it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Settled counts messages a dispatcher took to a status
// (delivery.Observer).
func (m *Metrics) Settled(ch, status string, n int) {
	m.messages.WithLabelValues(ch, status).Add(float64(n))
}

// Recorded counts events written (delivery.Observer).
func (m *Metrics) Recorded(eventType string, n int) {
	m.events.WithLabelValues(eventType).Add(float64(n))
}

// ActivityDone observes an activity execution (engine.Observer).
func (m *Metrics) ActivityDone(activityType, outcome string, took time.Duration) {
	m.activities.WithLabelValues(activityType, outcome).Observe(took.Seconds())
}

// JobDone observes a job (jobs.Observer).
func (m *Metrics) JobDone(kind, outcome string, took time.Duration) {
	m.jobs.WithLabelValues(kind, outcome).Observe(took.Seconds())
}

// Request observes an HTTP request by its route pattern, "unmatched" when
// none matched, and its status class (api.RequestObserver).
func (m *Metrics) Request(route string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, statusClass(status)).Observe(took.Seconds())
}

// statusClass is 2xx, 4xx… of an HTTP status.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return statusClasses[status/100-1]
}

// statusClasses are the classes' names, made once: a request's must not
// allocate.
var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// Resting sets where the resting providers are read at scrape time: the
// channels whose provider this node's dispatcher leaves alone after an
// outage (delivery.Dispatcher.Outages). Each node keeps its own.
func (m *Metrics) Resting(channels func() []string) { m.resting.set(channels) }
