-- ff_events' indexes on PostgreSQL, for what reads the events now that
-- reports read the tallies (0024): a run's events by activity and type
-- (0021) is read by nothing and cost every append some 1.5 µs an event
-- (300 000 events appended in 1.0–1.15 s with it, 0.61–0.63 s without);
-- the soft-bounce policy counts an address's soft bounces since a time,
-- which scanned every event for every soft bounce.
DROP INDEX ff_events_run;
CREATE INDEX ff_events_soft_bounces ON ff_events (created_at) WHERE type = 'bounce_soft';
