-- SCIM 2.0 provisioning (package scim): an identity provider (Entra ID,
-- Okta) creates, updates and deactivates the tenant's users and keeps
-- groups, authenticated by a bearer token of the tenant.
--
-- Tokens: only the SHA-256 of the secret is stored; several may be live
-- (one per provider, or while one is being rotated), each revocable.
CREATE TABLE scim_tokens (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	created_by INTEGER NOT NULL,
	last_used_at TEXT NOT NULL DEFAULT '',
	revoked_at TEXT NOT NULL DEFAULT ''
);

-- The users the provider made or took over: its id for them (externalId,
-- often the person's mail nickname) and their name parts, sealed under the
-- user's key like the user's own personal fields (sealed NULL: none sent). A user the provider deleted
-- keeps the account, deactivated, and is hidden from the provider
-- (deprovisioned_at set) until it creates the same user name again.
CREATE TABLE scim_users (
	user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	sealed BLOB,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	deprovisioned_at TEXT NOT NULL DEFAULT ''
);

-- The groups the provider keeps: Strongroom groups of source 'sso', whose
-- members only the provider changes.
CREATE TABLE scim_groups (
	group_id INTEGER PRIMARY KEY REFERENCES user_groups (id) ON DELETE CASCADE,
	external_id TEXT NOT NULL DEFAULT ''
);

-- An administrator's mapping: members of a provider's group hold the role.
CREATE TABLE scim_group_roles (
	group_id INTEGER NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
	role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, role_id)
);

-- The roles a user holds because of such a mapping, so that leaving the
-- group takes away only those, never a role an administrator gave.
CREATE TABLE scim_user_roles (
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, role_id)
);
