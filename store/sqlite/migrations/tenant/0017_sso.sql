-- Single sign-on (package sso): the tenant's OpenID Connect providers, its
-- policy, the identities linked to its users and the sign-ins under way.
-- A client secret is sealed with the tenant's data key, bound to the tenant
-- and the provider; it is never read back to a page or the API.
-- kind is google, entra or oidc; allowed_domains are the hosted domains
-- (Google's hd) or e-mail domains an identity must belong to, one per line;
-- directory_id is the Entra directory (tid) an identity must come from.
CREATE TABLE sso_providers (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('google', 'entra', 'oidc')),
	name TEXT NOT NULL UNIQUE,
	issuer TEXT NOT NULL,
	client_id TEXT NOT NULL,
	sealed_secret BLOB NOT NULL DEFAULT x'',
	allowed_domains TEXT NOT NULL DEFAULT '',
	directory_id TEXT NOT NULL DEFAULT '',
	-- acr values that count as a second factor done at the provider.
	mfa_acr TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);

-- The one row of policy. sso_only refuses password sign-in to everyone but
-- break_glass_user_id (0: none); provider_mfa lets a provider's second
-- factor stand for Strongroom's; jit creates unknown identities of the
-- verified domains as users with the roles and classes listed (ids, comma
-- separated).
CREATE TABLE sso_policy (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	sso_only INTEGER NOT NULL DEFAULT 0 CHECK (sso_only IN (0, 1)),
	break_glass_user_id INTEGER NOT NULL DEFAULT 0,
	provider_mfa INTEGER NOT NULL DEFAULT 0 CHECK (provider_mfa IN (0, 1)),
	jit INTEGER NOT NULL DEFAULT 0 CHECK (jit IN (0, 1)),
	jit_role_ids TEXT NOT NULL DEFAULT '',
	jit_class_ids TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 1,
	updated_at TEXT NOT NULL DEFAULT ''
);
INSERT INTO sso_policy (id) VALUES (1);

-- An identity at a provider, named by (issuer, subject) and never by
-- e-mail, linked to one user.
CREATE TABLE sso_links (
	id INTEGER PRIMARY KEY,
	provider_id INTEGER NOT NULL REFERENCES sso_providers (id) ON DELETE CASCADE,
	issuer TEXT NOT NULL,
	subject TEXT NOT NULL,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at TEXT NOT NULL,
	last_used_at TEXT NOT NULL DEFAULT '',
	UNIQUE (issuer, subject)
);
CREATE INDEX sso_links_user ON sso_links (user_id);

-- Sign-ins under way: the SHA-256 of the state, of the browser's cookie
-- that must come back with it, the nonce and the sealed PKCE verifier.
-- A row is used once and lives ten minutes.
CREATE TABLE sso_states (
	state_hash TEXT PRIMARY KEY,
	provider_id INTEGER NOT NULL REFERENCES sso_providers (id) ON DELETE CASCADE,
	browser_hash TEXT NOT NULL,
	nonce TEXT NOT NULL,
	sealed_verifier BLOB NOT NULL DEFAULT x'',
	next TEXT NOT NULL DEFAULT '',
	expires_at TEXT NOT NULL
);

-- How a session was opened: password or sso; provider_mfa when the
-- provider's second factor stood for Strongroom's.
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password';
ALTER TABLE sessions ADD COLUMN provider_mfa INTEGER NOT NULL DEFAULT 0;
