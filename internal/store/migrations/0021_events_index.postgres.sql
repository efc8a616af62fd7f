CREATE INDEX ff_events_run ON ff_events (run_id, activity, type);
