-- The operator realm (package operators): the provider's staff, each with
-- a personal account. password_hash is argon2id (identity/password);
-- totp_secret is sealed with the realm key, itself wrapped by the master
-- key. must_change_password is set on every new account: its password was
-- given by whoever made it, so the operator chooses their own at the first
-- console sign-in. Times are fixed-width UTC text; '' means none.
CREATE TABLE operators (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL,
	role TEXT NOT NULL CHECK (role IN ('owner', 'staff')),
	password_hash TEXT NOT NULL,
	totp_secret BLOB NOT NULL DEFAULT X'',
	totp_enabled INTEGER NOT NULL DEFAULT 0,
	totp_last_step INTEGER NOT NULL DEFAULT 0,
	disabled INTEGER NOT NULL DEFAULT 0,
	must_change_password INTEGER NOT NULL DEFAULT 0,
	failed_logins INTEGER NOT NULL DEFAULT 0,
	locked_until TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);

-- Console sessions: only a hash of the cookie's secret. stage 'password'
-- has passed the password and waits for the second factor.
CREATE TABLE operator_sessions (
	id_hash TEXT PRIMARY KEY,
	operator_id INTEGER NOT NULL REFERENCES operators (id),
	stage TEXT NOT NULL CHECK (stage IN ('password', 'full')),
	created_at TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	source_ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);

-- Short-lived command-line tokens: only a hash.
CREATE TABLE operator_tokens (
	id_hash TEXT PRIMARY KEY,
	operator_id INTEGER NOT NULL REFERENCES operators (id),
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
);

-- The operator event log: sign-ins, failures, lockouts, operators and
-- tenants created or disabled, and by whom. Append-only.
CREATE TABLE operator_events (
	id INTEGER PRIMARY KEY,
	at TEXT NOT NULL,
	operator TEXT NOT NULL DEFAULT '',
	action TEXT NOT NULL,
	object TEXT NOT NULL DEFAULT '',
	source_ip TEXT NOT NULL DEFAULT '',
	details TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER operator_events_no_update BEFORE UPDATE ON operator_events
BEGIN SELECT RAISE(ABORT, 'operator_events is append-only'); END;
CREATE TRIGGER operator_events_no_delete BEFORE DELETE ON operator_events
BEGIN SELECT RAISE(ABORT, 'operator_events is append-only'); END;
