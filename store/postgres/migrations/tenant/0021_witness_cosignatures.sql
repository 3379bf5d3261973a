-- Witnesses' cosignatures of the tenant's audit checkpoints. A witness
-- (named by its key, keeping its URL as last configured) cosigns a
-- checkpoint only after checking that it extends the last one it cosigned;
-- witness_state keeps the tree size the witness is known to hold, so the
-- next submission carries the consistency proof from there.
CREATE TABLE witness_state (
	witness TEXT PRIMARY KEY,
	url TEXT NOT NULL,
	size BIGINT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE TABLE witness_cosignatures (
	witness TEXT NOT NULL,
	size BIGINT NOT NULL,
	cosignature TEXT NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (witness, size)
);
