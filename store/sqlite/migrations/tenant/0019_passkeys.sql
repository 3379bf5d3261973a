-- Passkeys (WebAuthn credentials): a second factor, and a sign-in without
-- a password where the tenant allows it. passkey_users gives each user a
-- random user handle, the opaque id an authenticator files its passkeys
-- under: it names no one and differs between tenants served on one host.
CREATE TABLE passkey_users (
	user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	handle TEXT NOT NULL UNIQUE
);
-- credential is the public key and its flags as the WebAuthn library
-- records them (JSON); sign_count is the authenticator's signature counter,
-- which must grow with every use.
CREATE TABLE passkeys (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	credential_id TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	credential TEXT NOT NULL,
	sign_count INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	last_used_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX passkeys_user ON passkeys (user_id);
-- A ceremony begun and not yet finished: its challenge, held here and never
-- by the browser, bound to what began it (a session, or a sign-in cookie)
-- through the hash of that secret, used once and for five minutes.
CREATE TABLE passkey_challenges (
	binding_hash TEXT PRIMARY KEY,
	purpose TEXT NOT NULL CHECK (purpose IN ('register', 'second_factor', 'sign_in')),
	user_id INTEGER NOT NULL DEFAULT 0,
	name TEXT NOT NULL DEFAULT '',
	session_data TEXT NOT NULL,
	expires_at TEXT NOT NULL
);
