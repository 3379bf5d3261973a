-- Kiosk links (package kiosk): public links that show a chosen list of
-- dashboards on a wall screen without a sign-in. The token itself is never
-- stored: only its SHA-256 (token_hash) and public_id, a short random id
-- made beside it that tells an administrator which link a screen shows
-- and from which the token cannot be recovered. A link runs as a kiosk
-- identity of its own: the areas it may read (areas, comma-separated,
-- read at most) and the security classes in kiosk_link_classes; with
-- restricted set it sees only records carrying one of those classes.
CREATE TABLE kiosk_links (
	id INTEGER PRIMARY KEY,
	label TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	public_id TEXT NOT NULL,
	rotation_seconds INTEGER NOT NULL,
	expires_at TEXT NOT NULL DEFAULT '',
	paused INTEGER NOT NULL DEFAULT 0,
	revoked_at TEXT NOT NULL DEFAULT '',
	allowed_cidrs TEXT NOT NULL DEFAULT '',
	areas TEXT NOT NULL DEFAULT '',
	restricted INTEGER NOT NULL DEFAULT 1,
	created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	last_viewed_at TEXT NOT NULL DEFAULT '',
	view_count INTEGER NOT NULL DEFAULT 0
);

-- The dashboards a link shows, in order. Dashboards are referred to by id
-- only: the dashboards service checks them when a link is saved.
CREATE TABLE kiosk_link_dashboards (
	link_id INTEGER NOT NULL REFERENCES kiosk_links (id) ON DELETE CASCADE,
	dashboard_id INTEGER NOT NULL,
	position INTEGER NOT NULL,
	PRIMARY KEY (link_id, position),
	UNIQUE (link_id, dashboard_id)
);
CREATE INDEX kiosk_link_dashboards_dashboard ON kiosk_link_dashboards (dashboard_id);

-- The security classes of a link's kiosk identity; a deleted class leaves
-- every link at once.
CREATE TABLE kiosk_link_classes (
	link_id INTEGER NOT NULL REFERENCES kiosk_links (id) ON DELETE CASCADE,
	class_id INTEGER NOT NULL REFERENCES security_classes (id) ON DELETE CASCADE,
	PRIMARY KEY (link_id, class_id)
);
CREATE INDEX kiosk_link_classes_class ON kiosk_link_classes (class_id);
