-- Identity and access (package identity; rules in package access).
-- Booleans are INTEGER 0/1 and times fixed-width UTC text on both engines.

-- Tenant-wide security settings, one row per setting.
CREATE TABLE security_settings (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	username TEXT NOT NULL,
	-- username_key is the name after NFKC and case folding: the unique key.
	username_key TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL,
	email TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
	restricted INTEGER NOT NULL DEFAULT 0 CHECK (restricted IN (0, 1)),
	password_hash TEXT NOT NULL,
	-- A password set by an administrator: the user must change it first.
	password_temporary INTEGER NOT NULL CHECK (password_temporary IN (0, 1)),
	password_changed_at TEXT NOT NULL,
	failed_logins INTEGER NOT NULL DEFAULT 0,
	locked_at TEXT NOT NULL DEFAULT '',
	-- The TOTP secret sealed with the tenant's data key; empty until enrolled.
	totp_secret BLOB NOT NULL DEFAULT X'',
	totp_enabled INTEGER NOT NULL DEFAULT 0 CHECK (totp_enabled IN (0, 1)),
	totp_last_step INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);

-- Failed sign-ins of known users: when and from where, for administrators.
CREATE TABLE login_failures (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	at TEXT NOT NULL,
	source_ip TEXT NOT NULL
);
CREATE INDEX login_failures_user ON login_failures (user_id, at);

CREATE TABLE recovery_codes (
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	code_hash TEXT NOT NULL,
	used_at TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (user_id, code_hash)
);

-- Sessions: only the SHA-256 of the 256-bit id is stored.
CREATE TABLE sessions (
	id_hash TEXT PRIMARY KEY,
	public_id TEXT NOT NULL UNIQUE,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	-- Half-way through sign-in (password right, second factor pending).
	stage TEXT NOT NULL CHECK (stage IN ('second_factor', 'full')),
	created_at TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	source_ip TEXT NOT NULL,
	user_agent TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Personal API tokens: only the SHA-256 of the secret is stored.
CREATE TABLE api_tokens (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	last_used_at TEXT NOT NULL DEFAULT '',
	revoked_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE roles (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	name_key TEXT NOT NULL UNIQUE,
	description TEXT NOT NULL DEFAULT '',
	builtin INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
	version INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE role_grants (
	role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
	area TEXT NOT NULL,
	grant_level TEXT NOT NULL CHECK (grant_level IN ('deny', 'read', 'edit')),
	PRIMARY KEY (role_id, area)
);

CREATE TABLE user_roles (
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (role_id);

CREATE TABLE security_classes (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	name_key TEXT NOT NULL UNIQUE,
	description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE user_classes (
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	class_id INTEGER NOT NULL REFERENCES security_classes (id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, class_id)
);

-- The effective security classes of every record (its own, or its case's),
-- kept by the writers; package access reads it in every list predicate.
CREATE TABLE record_classes (
	record_type TEXT NOT NULL,
	record_id INTEGER NOT NULL,
	class_id INTEGER NOT NULL REFERENCES security_classes (id),
	PRIMARY KEY (record_type, record_id, class_id)
);
CREATE INDEX record_classes_class ON record_classes (class_id, record_type);
