// Package metrics is Fanfare's Prometheus exposition (docs/operations.md):
// one registry of its own per server, counters and histograms fed by the
// small observer hooks of the engine, the job queue, the dispatcher, the
// recorder of events and the API (engine.Observer, delivery.Observer,
// api.RequestObserver), and figures the whole cluster shares — the
// outbox's queue — read from the store at scrape time, so that every
// node sharing a database reports the same ones.
package metrics
