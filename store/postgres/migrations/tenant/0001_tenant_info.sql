-- Whose database this is: checked at every open, so that a file copied or
-- renamed under another tenant's name is refused.
CREATE TABLE tenant_info (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
