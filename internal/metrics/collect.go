package metrics

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// channels are those every scrape reports, 0 when they have nothing, so
// that a series does not vanish when its queue empties.
var channels = []string{channel.Email, channel.SMS, channel.Push}

var (
	depthDesc = prometheus.NewDesc("fanfare_outbox_messages",
		"Messages of the whole outbox waiting in a status of the queue (pending, held, claimed, sending, retry, in_doubt), by channel: read from the store at scrape time, the same on every node.",
		[]string{"channel", "status"}, nil)
	depthOKDesc = prometheus.NewDesc("fanfare_outbox_read_ok",
		"1 when this scrape's count of the outbox succeeded, 0 when the store did not answer in time (fanfare_outbox_messages is left out).",
		nil, nil)
	restingDesc = prometheus.NewDesc("fanfare_provider_resting",
		"1 while a node's dispatcher rests a channel's provider after an outage (its messages wait), as the nodes' beats to the store say, else 0: the same on every node.",
		[]string{"channel"}, nil)
)

// depths counts the outbox's queue at scrape time: one statement, bounded
// by a timeout, its result reused by scrapes within fresh of it (several
// Prometheus servers, a burst of scrapes) and serialised so that they
// never pile statements up on the store.
type depths struct {
	store          *store.Store
	log            *slog.Logger
	timeout, fresh time.Duration

	mu   sync.Mutex
	at   time.Time
	last []store.OutboxDepth
}

func newDepths(cfg Config) *depths {
	d := &depths{store: cfg.Store, log: cmp.Or(cfg.Log, slog.Default()), timeout: cfg.DepthTimeout, fresh: cfg.DepthFresh}
	if d.timeout <= 0 {
		d.timeout = DefaultDepthTimeout
	}
	if d.fresh <= 0 {
		d.fresh = DefaultDepthFresh
	}
	return d
}

// Describe sends the descriptions of the outbox's metrics.
func (d *depths) Describe(ch chan<- *prometheus.Desc) {
	ch <- depthDesc
	ch <- depthOKDesc
}

// Collect counts the outbox (or reuses a fresh count) and sends a gauge
// for every channel and queued status.
func (d *depths) Collect(ch chan<- prometheus.Metric) {
	counts, err := d.read()
	if err != nil {
		d.log.Warn("metrics: count the outbox's queue", "err", err)
		ch <- prometheus.MustNewConstMetric(depthOKDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(depthOKDesc, prometheus.GaugeValue, 1)
	got := map[[2]string]int64{}
	for _, c := range counts {
		got[[2]string{c.Channel, string(c.Status)}] = c.Messages
	}
	seen := map[[2]string]bool{}
	for _, c := range channels {
		for _, st := range store.QueueStatuses {
			k := [2]string{c, string(st)}
			seen[k] = true
			ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(got[k]), c, string(st))
		}
	}
	for k, n := range got { // a channel no build of ours names; kept, not hidden
		if !seen[k] {
			ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(n), k[0], k[1])
		}
	}
}

func (d *depths) read() ([]store.OutboxDepth, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.at.IsZero() && time.Since(d.at) < d.fresh {
		return d.last, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	counts, err := d.store.Outbox().Depths(ctx)
	if err != nil {
		return nil, err
	}
	d.at, d.last = time.Now(), counts
	return counts, nil
}

// resting reports the channels whose provider this node rests.
type resting struct {
	mu       sync.Mutex
	channels func() []string
}

func (r *resting) set(f func() []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.channels = f
}

// Describe sends the description of fanfare_provider_resting.
func (r *resting) Describe(ch chan<- *prometheus.Desc) { ch <- restingDesc }

// Collect sends 1 for each resting channel, 0 for the others.
func (r *resting) Collect(ch chan<- prometheus.Metric) {
	r.mu.Lock()
	f := r.channels
	r.mu.Unlock()
	now := map[string]bool{}
	if f != nil {
		for _, c := range f() {
			now[c] = true
		}
	}
	for _, c := range channels {
		v := 0.0
		if now[c] {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(restingDesc, prometheus.GaugeValue, v, c)
	}
}
