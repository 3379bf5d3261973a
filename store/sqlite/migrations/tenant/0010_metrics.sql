-- Business metrics (package metrics): definitions, and the points pushed
-- to them. A point is keyed by its metric, its moment and its dimensions,
-- so pushing the same point again replaces its value (pushes are
-- idempotent). dims is the canonical text of the dimensions (a JSON object
-- with sorted keys, "{}" for none); dims_key is its SHA-256 in hex, a short
-- key for the primary key however long the dimensions are.
CREATE TABLE metrics (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 63),
	label TEXT NOT NULL DEFAULT '',
	unit TEXT NOT NULL DEFAULT '',
	source TEXT NOT NULL DEFAULT 'pushed' CHECK (source IN ('pushed', 'integration')),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE metric_points (
	metric_id INTEGER NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
	at TEXT NOT NULL,
	value REAL NOT NULL,
	dims TEXT NOT NULL DEFAULT '{}',
	dims_key TEXT NOT NULL,
	PRIMARY KEY (metric_id, at, dims_key)
);
-- Range reads go by metric and time (the primary key); the prune of old
-- points goes by time alone.
CREATE INDEX metric_points_at ON metric_points (at);

-- An API token's scope: 'full' acts with its user's permissions on every
-- API route; 'metrics:write' may only push metric points.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'full' CHECK (scope IN ('full', 'metrics:write'));
