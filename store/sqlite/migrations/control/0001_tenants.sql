CREATE TABLE tenants (
	id INTEGER PRIMARY KEY,
	slug TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('provisioning', 'active', 'disabled')),
	placement TEXT NOT NULL,
	wrapped_key BLOB NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE settings (
	name TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
