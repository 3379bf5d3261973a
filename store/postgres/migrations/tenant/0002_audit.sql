-- The audit log (package audit): one append-only, tamper-evident log per
-- tenant, in the tenant's own database so that a change and its event
-- commit in one transaction. Triggers refuse UPDATE, DELETE and TRUNCATE on
-- everything that the Merkle tree or its signatures depend on; only the tree
-- head (rewritten by every append) and the per-subject keys (deleted on
-- erasure) change. Revoking the privileges as well is left to deployment.

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit table % is append-only (% refused)', TG_TABLE_NAME, TG_OP
		USING ERRCODE = 'insufficient_privilege';
END
$$;

-- One row per event. body is the canonical JSON the Merkle leaf hashes;
-- the other columns repeat parts of it for filtering and are checked
-- against it by Verify.
CREATE TABLE audit_events (
	seq BIGINT PRIMARY KEY,
	at TEXT NOT NULL,
	actor_kind TEXT NOT NULL,
	actor_id TEXT NOT NULL,
	source_ip TEXT NOT NULL,
	action TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id TEXT NOT NULL,
	subject_id TEXT NOT NULL,
	body BYTEA NOT NULL,
	leaf_hash BYTEA NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor_kind, actor_id);
CREATE INDEX audit_events_action ON audit_events (action);
CREATE INDEX audit_events_object ON audit_events (object_type, object_id);
CREATE INDEX audit_events_subject ON audit_events (subject_id) WHERE subject_id <> '';
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Hashes of the perfect subtrees at levels 8, 16, 24 … (one per 256 leaves
-- and so on), written as they complete, so that proofs read a few hundred
-- rows instead of every leaf.
CREATE TABLE audit_tree_nodes (
	level INTEGER NOT NULL,
	idx BIGINT NOT NULL,
	hash BYTEA NOT NULL,
	PRIMARY KEY (level, idx)
);
CREATE TRIGGER audit_tree_nodes_append_only BEFORE UPDATE OR DELETE ON audit_tree_nodes
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_tree_nodes_no_truncate BEFORE TRUNCATE ON audit_tree_nodes
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The writers' state: tree size, root and compact range after the last
-- committed event. Appends lock (SELECT … FOR UPDATE) and rewrite this row,
-- which serialises writers so that sequence numbers follow commit order.
CREATE TABLE audit_head (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	size BIGINT NOT NULL,
	root BYTEA NOT NULL,
	frontier BYTEA NOT NULL,
	last_at TEXT NOT NULL
);
INSERT INTO audit_head (id, size, root, frontier, last_at) VALUES (1, 0, '\x'::bytea, '\x'::bytea, '');
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Signed checkpoints (C2SP tlog-checkpoint notes); copies also live as
-- files outside the database.
CREATE TABLE audit_checkpoints (
	size BIGINT PRIMARY KEY,
	root BYTEA NOT NULL,
	note TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The tenant's checkpoint signing key, sealed with the tenant data key.
CREATE TABLE audit_signer (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	sealed_key BYTEA NOT NULL,
	verifier_key TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE TRIGGER audit_signer_fixed BEFORE UPDATE OR DELETE ON audit_signer
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_signer_no_truncate BEFORE TRUNCATE ON audit_signer
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- One key per data subject, sealed with the tenant data key. Personal
-- values in events are sealed with it; deleting the row erases them while
-- the event bytes, and so the tree, stay as they were.
CREATE TABLE audit_subject_keys (
	subject_id TEXT PRIMARY KEY,
	sealed_key BYTEA NOT NULL,
	created_at TEXT NOT NULL
);
CREATE TRIGGER audit_subject_keys_no_update BEFORE UPDATE ON audit_subject_keys
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
