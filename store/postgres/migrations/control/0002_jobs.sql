-- Background jobs and their periodic schedules (package jobs). Times are
-- fixed-width UTC text like every other time column; '' means none.
-- Tenants are named by slug: a job names its tenant, and is refused when
-- no active tenant has that slug.
CREATE TABLE jobs (
	id BIGSERIAL PRIMARY KEY,
	kind TEXT NOT NULL,
	tenant TEXT NOT NULL,
	payload TEXT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'dead')),
	run_at TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL CHECK (max_attempts >= 0), -- 0: as its kind says
	last_error TEXT NOT NULL DEFAULT '',
	lease_owner TEXT NOT NULL DEFAULT '',
	lease_until TEXT NOT NULL DEFAULT '',
	unique_key TEXT NOT NULL DEFAULT '',
	schedule TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	started_at TEXT NOT NULL DEFAULT '',
	finished_at TEXT NOT NULL DEFAULT ''
);

-- A unique job exists at most once while it is queued or running.
CREATE UNIQUE INDEX jobs_unique_live ON jobs (unique_key)
	WHERE unique_key <> '' AND state IN ('queued', 'running');
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_by_tenant ON jobs (tenant, id);
CREATE INDEX jobs_by_kind ON jobs (kind, id);
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('done', 'failed', 'dead');

CREATE TABLE job_schedules (
	name TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	tenant TEXT NOT NULL,
	payload TEXT NOT NULL,
	every_seconds BIGINT NOT NULL CHECK (every_seconds > 0),
	jitter_seconds BIGINT NOT NULL CHECK (jitter_seconds >= 0),
	max_attempts INTEGER NOT NULL CHECK (max_attempts >= 0), -- 0: as its kind says
	template TEXT NOT NULL DEFAULT '',
	next_run_at TEXT NOT NULL,
	last_run_at TEXT NOT NULL DEFAULT '',
	last_job BIGINT NOT NULL DEFAULT 0,
	last_success_at TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);

CREATE INDEX job_schedules_due ON job_schedules (next_run_at);
CREATE INDEX job_schedules_tenant ON job_schedules (tenant);
CREATE INDEX job_schedules_template ON job_schedules (template);
