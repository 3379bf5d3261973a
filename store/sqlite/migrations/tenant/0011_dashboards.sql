-- Groups and dashboards (package dashboards). Groups decide which
-- dashboards a user sees: a dashboard is visible to its owner and to the
-- members of the groups it is shared with. Groups hold user ids only, so
-- erasing a person leaves nothing of them here but a number.
--
-- AUTOINCREMENT: an id is never given twice, so an audit event, a live
-- subscriber or a link that names a deleted group or dashboard never names
-- a later one (PostgreSQL's identity columns never reuse ids either).

CREATE TABLE user_groups (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL,
	-- name_key is the name after NFKC and case folding: the unique key.
	name_key TEXT NOT NULL UNIQUE,
	description TEXT NOT NULL DEFAULT '',
	-- 'sso': kept by single sign-on, whose members administrators do not edit.
	source TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'sso')),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE user_group_members (
	group_id INTEGER NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX user_group_members_user ON user_group_members (user_id);

CREATE TABLE dashboards (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	-- NULL once the owner's account is deleted: the dashboard stays for
	-- the groups it is shared with.
	owner_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX dashboards_owner ON dashboards (owner_id);

CREATE TABLE dashboard_widgets (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	dashboard_id INTEGER NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('kpi', 'timeseries', 'bar', 'table')),
	title TEXT NOT NULL,
	-- A stored metric ("crm.pipeline") or a case-data kind ("case:open_by_status").
	source TEXT NOT NULL,
	-- Period, bucket, aggregation, style, target, refresh and width as JSON.
	options TEXT NOT NULL DEFAULT '{}',
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX dashboard_widgets_dashboard ON dashboard_widgets (dashboard_id, position);

CREATE TABLE dashboard_shares (
	dashboard_id INTEGER NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
	group_id INTEGER NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
	permission TEXT NOT NULL CHECK (permission IN ('view', 'edit')),
	PRIMARY KEY (dashboard_id, group_id)
);
CREATE INDEX dashboard_shares_group ON dashboard_shares (group_id);
