-- Backups of tenants, one row per run, and each copy of it on a target.
-- Error texts are the safe messages shown to operators: never a secret.
CREATE TABLE backups (
	id TEXT PRIMARY KEY,
	tenant_slug TEXT NOT NULL,
	started_at TEXT NOT NULL,
	finished_at TEXT,
	status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'partial', 'failed')),
	error TEXT NOT NULL DEFAULT ''
);

CREATE INDEX backups_tenant ON backups (tenant_slug, started_at);

CREATE TABLE backup_copies (
	backup_id TEXT NOT NULL REFERENCES backups (id) ON DELETE CASCADE,
	target TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0,
	error TEXT NOT NULL DEFAULT '',
	size INTEGER NOT NULL DEFAULT 0,
	duration_ms INTEGER NOT NULL DEFAULT 0,
	verified_at TEXT,
	PRIMARY KEY (backup_id, target)
);

CREATE INDEX backup_copies_target ON backup_copies (target, status);

-- The SHA-256 of each stored document file, by name, size and time of
-- change: stored files are written once and never changed, so a backup
-- need not read every file again to know what a target lacks. A stale
-- entry cannot spoil a backup: the bytes sent are hashed and compared.
CREATE TABLE backup_file_hashes (
	tenant_slug TEXT NOT NULL,
	storage_key TEXT NOT NULL,
	size INTEGER NOT NULL,
	modified TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	PRIMARY KEY (tenant_slug, storage_key)
);
