-- Integrations (package integrations): metrics pulled on a schedule from
-- third-party HTTP JSON APIs. config is the connector as JSON and holds no
-- secret; the credential is sealed_credentials, sealed with the tenant's
-- data key and bound to the tenant, the integration and its purpose.
-- last_error is a message safe to show, the credential removed from it.
-- Booleans are INTEGER 0/1 and times fixed-width UTC text ('' for never).
CREATE TABLE integrations (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	label TEXT NOT NULL,
	preset TEXT NOT NULL DEFAULT '',
	config TEXT NOT NULL,
	sealed_credentials BLOB NOT NULL DEFAULT X'',
	-- Plain http:// allowed by an administrator for this integration.
	allow_http INTEGER NOT NULL DEFAULT 0 CHECK (allow_http IN (0, 1)),
	interval_seconds INTEGER NOT NULL,
	enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
	last_run_at TEXT NOT NULL DEFAULT '',
	last_success_at TEXT NOT NULL DEFAULT '',
	last_error TEXT NOT NULL DEFAULT '',
	-- Failed pulls in a row: the next is put off exponentially.
	failures INTEGER NOT NULL DEFAULT 0,
	next_run_at TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX integrations_due ON integrations (next_run_at) WHERE enabled = 1;
