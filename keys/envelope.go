package keys

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"fmt"

	"strongroom"
)

// DataKeySize is the size in bytes of a data key (AES-256).
const DataKeySize = 32

// sealVersion is the first byte of every sealed message. It is also bound
// into the GCM additional data, so it cannot be changed without detection.
const sealVersion byte = 1

// ErrDecrypt is returned (possibly wrapped) when a sealed message does not
// open: wrong key, wrong additional data, or damaged or forged ciphertext.
// Its message carries nothing secret. Callers compare with errors.Is and
// must not modify it.
var ErrDecrypt = &strongroom.Error{
	Code:    strongroom.EINTERNAL,
	Message: "decryption failed: wrong key, wrong associated data or damaged ciphertext",
}

// checkValue is the fixed, non-secret plaintext that MakeCheck wraps.
var checkValue = []byte("strongroom master key check v1")

// NewDataKey returns 32 random bytes, a fresh tenant (or file) data key.
func NewDataKey() ([]byte, error) {
	key := make([]byte, DataKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("keys: new data key: %w", err)
	}
	return key, nil
}

// Seal encrypts plaintext with a 32-byte data key using AES-256-GCM. The
// result is a version byte, a random 12-byte nonce, the ciphertext and the
// tag. aad is authenticated but not stored: OpenSealed needs the same aad.
func Seal(key, plaintext, aad []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return seal(aead, plaintext, aad), nil
}

// OpenSealed reverses Seal. It fails with ErrDecrypt on any tampering, wrong
// key or wrong aad.
func OpenSealed(key, sealed, aad []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return openSealed(aead, sealed, aad)
}

// newAEAD returns AES-256-GCM with random nonces prefixed to the ciphertext.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != DataKeySize {
		return nil, strongroom.Errorf(strongroom.EINTERNAL, "data key is %d bytes, want %d", len(key), DataKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keys: new cipher: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("keys: new gcm: %w", err)
	}
	return aead, nil
}

func seal(aead cipher.AEAD, plaintext, aad []byte) []byte {
	out := make([]byte, 1, 1+aead.Overhead()+len(plaintext))
	out[0] = sealVersion
	return aead.Seal(out, nil, plaintext, boundAAD(aad))
}

func openSealed(aead cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 1+aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrDecrypt
	}
	plaintext, err := aead.Open(nil, nil, sealed[1:], boundAAD(aad))
	if err != nil {
		return nil, ErrDecrypt
	}
	return plaintext, nil
}

// boundAAD prefixes the format version to the caller's additional data.
func boundAAD(aad []byte) []byte {
	return append([]byte{sealVersion}, aad...)
}

// MakeCheck wraps a fixed known value so that a later start can tell whether
// it holds the same master key.
func MakeCheck(ctx context.Context, k Keeper) ([]byte, error) {
	check, err := k.Wrap(ctx, checkValue)
	if err != nil {
		return nil, fmt.Errorf("keys: make master key check: %w", err)
	}
	return check, nil
}

// VerifyCheck returns nil when k unwraps check to the known value. When the
// key does not match it returns a *strongroom.Error with code EINVALID. When
// the key service cannot be reached (EUNAVAILABLE, or ctx is done) it returns
// that error instead, so an outage is not reported as a wrong key.
func VerifyCheck(ctx context.Context, k Keeper, check []byte) error {
	plaintext, err := k.Unwrap(ctx, check)
	if err != nil {
		if ctx.Err() != nil || strongroom.ErrorCode(err) == strongroom.EUNAVAILABLE {
			return fmt.Errorf("keys: verify master key: %w", err)
		}
		return errKeyMismatch()
	}
	defer clear(plaintext)
	if subtle.ConstantTimeCompare(plaintext, checkValue) != 1 {
		return errKeyMismatch()
	}
	return nil
}

func errKeyMismatch() *strongroom.Error {
	return strongroom.Errorf(strongroom.EINVALID, "the master key does not match this installation's (wrong key file or KMS key?)")
}

// Rewrap unwraps with from and wraps with to: master key rotation re-wraps
// tenant keys without touching data.
func Rewrap(ctx context.Context, from, to Keeper, wrapped []byte) ([]byte, error) {
	plaintext, err := from.Unwrap(ctx, wrapped)
	if err != nil {
		return nil, fmt.Errorf("keys: rewrap: unwrap with the old master key: %w", err)
	}
	defer clear(plaintext)
	out, err := to.Wrap(ctx, plaintext)
	if err != nil {
		return nil, fmt.Errorf("keys: rewrap: wrap with the new master key: %w", err)
	}
	return out, nil
}
