CREATE TABLE tenants (
	id BIGSERIAL PRIMARY KEY,
	slug TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('provisioning', 'active', 'disabled')),
	placement TEXT NOT NULL,
	wrapped_key BYTEA NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE settings (
	name TEXT PRIMARY KEY,
	value BYTEA NOT NULL
);
