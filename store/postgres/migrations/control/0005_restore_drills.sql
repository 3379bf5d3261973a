-- Restore drills: the newest backup of a tenant on one target restored
-- into a scratch location and checked, then thrown away. One row a drill.
-- target is the target's redacted name; error and part are safe texts
-- (never a secret). Times are fixed-width UTC text; '' means none.
CREATE TABLE restore_drills (
	id BIGSERIAL PRIMARY KEY,
	tenant_slug TEXT NOT NULL,
	target TEXT NOT NULL,
	backup_id TEXT NOT NULL DEFAULT '',
	backup_time TEXT NOT NULL DEFAULT '',
	started_at TEXT NOT NULL,
	duration_ms BIGINT NOT NULL DEFAULT 0,
	result TEXT NOT NULL CHECK (result IN ('ok', 'failed')),
	part TEXT NOT NULL DEFAULT '',
	error TEXT NOT NULL DEFAULT '',
	bytes BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX restore_drills_tenant ON restore_drills (tenant_slug, target, started_at);
