-- The tenant's IP allowlist: the networks its pages, API, sign-in, live
-- updates and kiosk links answer from. No rows: every address is allowed.
-- Position keeps the administrator's order; the one row of
-- ip_allowlist_state carries the version that an update must name, so that
-- an edit made from an older reading is refused instead of undoing another.
CREATE TABLE ip_allowlist (
	position INTEGER PRIMARY KEY,
	cidr TEXT NOT NULL,
	label TEXT NOT NULL DEFAULT ''
);
CREATE TABLE ip_allowlist_state (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL,
	updated_at TEXT NOT NULL DEFAULT ''
);
INSERT INTO ip_allowlist_state (id, version, updated_at) VALUES (1, 1, '');
