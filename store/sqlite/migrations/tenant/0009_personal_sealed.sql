-- Personal fields sealed at rest (package erasure/personal): a contact's
-- name, e-mail, phone, address and notes, and a user's display name and
-- e-mail, are kept in sealed, encrypted under the person's key in
-- audit_subject_keys; the plaintext columns are left empty. A NULL sealed
-- marks a row written before this migration, sealed when the database is
-- first used by a Strongroom that knows this migration.
ALTER TABLE contacts ADD COLUMN sealed BLOB;
ALTER TABLE users ADD COLUMN sealed BLOB;
CREATE INDEX contacts_unsealed ON contacts (id) WHERE sealed IS NULL;
CREATE INDEX users_unsealed ON users (id) WHERE sealed IS NULL;
