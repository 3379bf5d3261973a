-- Access by the service provider's operators, as the tenant sees it. The
-- one row of provider_access_settings (absent: the default) says whether a
-- customer-initiated support request is granted at once ('automatic') or
-- waits for an administrator like every other ('required').
-- provider_access_notices are the break-glass alerts shown to the
-- tenant's administrators on every page until one acknowledges them.
CREATE TABLE provider_access_settings (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	approval TEXT NOT NULL CHECK (approval IN ('automatic', 'required')),
	updated_at TEXT NOT NULL
);
CREATE TABLE provider_access_notices (
	id INTEGER PRIMARY KEY,
	grant_id INTEGER NOT NULL,
	operator TEXT NOT NULL,
	reason TEXT NOT NULL,
	ticket TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	acknowledged_at TEXT NOT NULL DEFAULT '',
	acknowledged_by INTEGER NOT NULL DEFAULT 0
);
