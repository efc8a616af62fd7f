// Package outbound streams Fanfare's events to the operator's
// destinations and publishes saved audiences there (docs/outbound.md):
// files rotated by size and time, and signed webhooks retried with
// backoff whose failed batches become dead letters. Each destination's
// exporter reads ff_events after a durable cursor under a lease, so one
// node at a time exports it, and delivers at least once.
package outbound
