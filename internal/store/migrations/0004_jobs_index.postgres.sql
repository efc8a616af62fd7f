CREATE INDEX ff_jobs_ready ON ff_jobs (status, run_after);
