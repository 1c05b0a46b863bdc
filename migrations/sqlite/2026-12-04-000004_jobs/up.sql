-- The in-process scheduler: one lease per job and period (the replica holding it does that
-- period's work, another takes over when it expires unfinished), and a record of every run.

CREATE TABLE job_leases (
    job TEXT NOT NULL,
    period TEXT NOT NULL,
    owner TEXT NOT NULL,
    run_id TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    done_at TIMESTAMP,
    PRIMARY KEY (job, period)
);

CREATE TABLE job_runs (
    id TEXT PRIMARY KEY,
    job TEXT NOT NULL,
    period TEXT NOT NULL,
    run_trigger TEXT NOT NULL CHECK (run_trigger IN ('schedule', 'manual', 'cli', 'test')),
    owner TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    -- The `now` the job ran at (injected: tests and the CLI move time).
    run_now TIMESTAMP NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    items BIGINT NOT NULL DEFAULT 0,
    errors BIGINT NOT NULL DEFAULT 0,
    message TEXT
);
CREATE INDEX job_runs_job_idx ON job_runs (job, id);
CREATE INDEX job_runs_started_idx ON job_runs (started_at);
