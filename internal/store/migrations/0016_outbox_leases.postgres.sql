-- Every node looks, every few seconds, for messages whose lease ran out
-- (a node died holding them; see internal/delivery/recover.go): a partial
-- index holds just the messages under a lease, a few thousand at most,
-- where the outbox may hold millions (a scan of 1M rows took ~250 ms).
CREATE INDEX ff_outbox_leased ON ff_outbox (lease_until) WHERE status IN ('claimed', 'sending');
