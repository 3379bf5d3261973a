-- Case management (package cases and package documents). Every record
-- table has a version for optimistic concurrency and deleted_at for soft
-- deletion (purged after 30 days). A record's effective security classes
-- (its own, or its case's) are kept in record_classes under its record
-- type: case, document, financial, contact, note, event.

-- Multi-district litigation groups a case may belong to.
CREATE TABLE mdl_groups (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL
);

CREATE TABLE cases (
	id INTEGER PRIMARY KEY,
	number TEXT NOT NULL UNIQUE,
	title TEXT NOT NULL,
	client TEXT NOT NULL DEFAULT '',
	practice_group TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL CHECK (status IN ('open', 'pending', 'closed', 'archived')),
	opened_on TEXT NOT NULL,
	closed_on TEXT NOT NULL DEFAULT '',
	mdl_id INTEGER REFERENCES mdl_groups (id),
	tags TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	deleted_at TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX cases_status ON cases (status, practice_group) WHERE deleted_at = '';
CREATE INDEX cases_opened ON cases (opened_on);
CREATE INDEX cases_deleted ON cases (deleted_at) WHERE deleted_at <> '';

-- The users responsible for a case.
CREATE TABLE case_users (
	case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	PRIMARY KEY (case_id, user_id)
);

-- Columns every record inside a case shares: own_classes says whether the
-- record carries classes of its own (else it inherits its case's).

CREATE TABLE documents (
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases (id),
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	current_version INTEGER NOT NULL DEFAULT 0,
	own_classes INTEGER NOT NULL DEFAULT 0 CHECK (own_classes IN (0, 1)),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	deleted_at TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX documents_case ON documents (case_id);

-- Each uploaded file. The file is stored encrypted outside the database
-- under storage_key, with its own key, wrapped by the tenant key.
CREATE TABLE document_versions (
	id INTEGER PRIMARY KEY,
	document_id INTEGER NOT NULL REFERENCES documents (id),
	number INTEGER NOT NULL,
	filename TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size_bytes INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	storage_key TEXT NOT NULL UNIQUE,
	wrapped_key BLOB NOT NULL,
	created_at TEXT NOT NULL,
	created_by INTEGER NOT NULL,
	UNIQUE (document_id, number)
);

-- Amounts are exact: ten-thousandths of the currency unit in an integer.
CREATE TABLE financial_records (
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases (id),
	kind TEXT NOT NULL CHECK (kind IN ('fee', 'expense', 'invoice', 'payment', 'settlement', 'trust_deposit')),
	amount_e4 INTEGER NOT NULL,
	currency TEXT NOT NULL,
	occurred_on TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	own_classes INTEGER NOT NULL DEFAULT 0 CHECK (own_classes IN (0, 1)),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	deleted_at TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX financial_records_case ON financial_records (case_id);
CREATE INDEX financial_records_month ON financial_records (occurred_on);

-- People and organisations: personal data, in tables of their own so that
-- they can be erased without touching anything else.
CREATE TABLE contacts (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('person', 'organisation')),
	name TEXT NOT NULL,
	email TEXT NOT NULL DEFAULT '',
	phone TEXT NOT NULL DEFAULT '',
	address TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	deleted_at TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 1
);

-- A contact's part in a case: this link is the "contact" record of a case.
CREATE TABLE case_contacts (
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases (id),
	contact_id INTEGER NOT NULL REFERENCES contacts (id),
	role TEXT NOT NULL CHECK (role IN ('client', 'opposing_party', 'witness', 'counsel', 'expert', 'judge', 'other')),
	own_classes INTEGER NOT NULL DEFAULT 0 CHECK (own_classes IN (0, 1)),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	deleted_at TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX case_contacts_case ON case_contacts (case_id);
CREATE INDEX case_contacts_contact ON case_contacts (contact_id);

CREATE TABLE notes (
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases (id),
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	own_classes INTEGER NOT NULL DEFAULT 0 CHECK (own_classes IN (0, 1)),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	deleted_at TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX notes_case ON notes (case_id);

-- Events and deadlines of a case.
CREATE TABLE case_events (
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases (id),
	kind TEXT NOT NULL CHECK (kind IN ('deadline', 'hearing', 'meeting', 'filing', 'reminder', 'other')),
	title TEXT NOT NULL,
	due_on TEXT NOT NULL,
	remind_on TEXT NOT NULL DEFAULT '',
	done INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
	own_classes INTEGER NOT NULL DEFAULT 0 CHECK (own_classes IN (0, 1)),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	deleted_at TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX case_events_case ON case_events (case_id);
CREATE INDEX case_events_due ON case_events (due_on) WHERE done = 0 AND deleted_at = '';

-- Full-text search over cases and records (package search). The writers
-- keep one row per searchable record in search_index; triggers mirror it
-- into the FTS5 table search_fts (external content, keyed by rowid), which
-- ranks with bm25.
CREATE TABLE search_index (
	id INTEGER PRIMARY KEY,
	record_type TEXT NOT NULL,
	record_id INTEGER NOT NULL,
	case_id INTEGER NOT NULL,
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	UNIQUE (record_type, record_id)
);
CREATE INDEX search_index_case ON search_index (case_id);
CREATE VIRTUAL TABLE search_fts USING fts5 (
	title,
	body,
	content = 'search_index',
	content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER search_index_ai AFTER INSERT ON search_index BEGIN
	INSERT INTO search_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER search_index_ad AFTER DELETE ON search_index BEGIN
	INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER search_index_au AFTER UPDATE ON search_index BEGIN
	INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
	INSERT INTO search_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
