-- The audit log (package audit): one append-only, tamper-evident log per
-- tenant, in the tenant's own file so that a change and its event commit in
-- one WAL transaction. Triggers refuse UPDATE and DELETE on everything that
-- the Merkle tree or its signatures depend on; only the tree head (rewritten
-- by every append) and the per-subject keys (deleted on erasure) change.

-- One row per event. body is the canonical JSON the Merkle leaf hashes;
-- the other columns repeat parts of it for filtering and are checked
-- against it by Verify.
CREATE TABLE audit_events (
	seq INTEGER PRIMARY KEY,
	at TEXT NOT NULL,
	actor_kind TEXT NOT NULL,
	actor_id TEXT NOT NULL,
	source_ip TEXT NOT NULL,
	action TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id TEXT NOT NULL,
	subject_id TEXT NOT NULL,
	body BLOB NOT NULL,
	leaf_hash BLOB NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor_kind, actor_id);
CREATE INDEX audit_events_action ON audit_events (action);
CREATE INDEX audit_events_object ON audit_events (object_type, object_id);
CREATE INDEX audit_events_subject ON audit_events (subject_id) WHERE subject_id <> '';

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

-- Hashes of the perfect subtrees at levels 8, 16, 24 … (one per 256 leaves
-- and so on), written as they complete, so that proofs read a few hundred
-- rows instead of every leaf.
CREATE TABLE audit_tree_nodes (
	level INTEGER NOT NULL,
	idx INTEGER NOT NULL,
	hash BLOB NOT NULL,
	PRIMARY KEY (level, idx)
);
CREATE TRIGGER audit_tree_nodes_no_update BEFORE UPDATE ON audit_tree_nodes
BEGIN SELECT RAISE(ABORT, 'audit_tree_nodes is append-only'); END;
CREATE TRIGGER audit_tree_nodes_no_delete BEFORE DELETE ON audit_tree_nodes
BEGIN SELECT RAISE(ABORT, 'audit_tree_nodes is append-only'); END;

-- The writers' state: tree size, root and compact range after the last
-- committed event. Appends lock and rewrite this one row.
CREATE TABLE audit_head (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	size INTEGER NOT NULL,
	root BLOB NOT NULL,
	frontier BLOB NOT NULL,
	last_at TEXT NOT NULL
);
INSERT INTO audit_head (id, size, root, frontier, last_at) VALUES (1, 0, X'', X'', '');
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END;

-- Signed checkpoints (C2SP tlog-checkpoint notes); copies also live as
-- files outside the database.
CREATE TABLE audit_checkpoints (
	size INTEGER PRIMARY KEY,
	root BLOB NOT NULL,
	note TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;

-- The tenant's checkpoint signing key, sealed with the tenant data key.
CREATE TABLE audit_signer (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	sealed_key BLOB NOT NULL,
	verifier_key TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE TRIGGER audit_signer_no_update BEFORE UPDATE ON audit_signer
BEGIN SELECT RAISE(ABORT, 'audit_signer cannot be changed'); END;
CREATE TRIGGER audit_signer_no_delete BEFORE DELETE ON audit_signer
BEGIN SELECT RAISE(ABORT, 'audit_signer cannot be changed'); END;

-- One key per data subject, sealed with the tenant data key. Personal
-- values in events are sealed with it; deleting the row erases them while
-- the event bytes, and so the tree, stay as they were.
CREATE TABLE audit_subject_keys (
	subject_id TEXT PRIMARY KEY,
	sealed_key BLOB NOT NULL,
	created_at TEXT NOT NULL
);
CREATE TRIGGER audit_subject_keys_no_update BEFORE UPDATE ON audit_subject_keys
BEGIN SELECT RAISE(ABORT, 'audit_subject_keys can only be inserted or deleted'); END;
