-- The erasure ledger: which data subjects each tenant has erased, and when.
-- It lives here, outside the tenant databases and so outside their
-- snapshots, so that a restore of an older snapshot can erase them again
-- (erasure.Reapply) before the tenant goes live. It holds subject ids
-- ("contact:12", "user:3") only, never personal data.
CREATE TABLE erasure_ledger (
	tenant_slug TEXT NOT NULL,
	subject_id TEXT NOT NULL,
	erased_at TEXT NOT NULL,
	PRIMARY KEY (tenant_slug, subject_id)
);
