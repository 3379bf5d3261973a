-- Operators' access to a tenant's data: one row a request, from filing to
-- its end. The row is the working copy the server decides by; the record
-- is the tenant's own audit log, where every change of state is written.
-- scope_areas and scope_classes are comma-separated ('' areas: every area
-- but administration; '' classes: no classified record). Times are
-- fixed-width UTC text; '' means not yet.
CREATE TABLE access_grants (
	id INTEGER PRIMARY KEY,
	tenant_slug TEXT NOT NULL,
	operator_id INTEGER NOT NULL,
	operator_name TEXT NOT NULL,
	reason TEXT NOT NULL CHECK (reason IN ('support', 'incident', 'legal', 'break_glass')),
	ticket TEXT NOT NULL DEFAULT '',
	scope_areas TEXT NOT NULL DEFAULT '',
	scope_classes TEXT NOT NULL DEFAULT '',
	duration_s INTEGER NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'denied', 'expired', 'revoked', 'ended')),
	requested_at TEXT NOT NULL,
	decided_at TEXT NOT NULL DEFAULT '',
	decided_by TEXT NOT NULL DEFAULT '',
	starts_at TEXT NOT NULL DEFAULT '',
	ends_at TEXT NOT NULL DEFAULT '',
	closed_at TEXT NOT NULL DEFAULT ''
);

CREATE INDEX access_grants_tenant ON access_grants (tenant_slug, state);
CREATE INDEX access_grants_operator ON access_grants (operator_id, tenant_slug);
