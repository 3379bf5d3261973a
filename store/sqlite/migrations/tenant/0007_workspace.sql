-- Settings of the workspace that are not security policy: the locale, time
-- zone and default currency every page, export and report is formatted in
-- (package identity, Formatting). One row per setting; unset ones keep
-- their defaults.
CREATE TABLE tenant_settings (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- The cases each user opened most recently, for their start page: one row
-- per user and case, the newest ~20 kept per user (package home).
CREATE TABLE case_views (
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	viewed_at TEXT NOT NULL,
	PRIMARY KEY (user_id, case_id)
);
CREATE INDEX case_views_user ON case_views (user_id, viewed_at);
CREATE INDEX case_views_case ON case_views (case_id);
