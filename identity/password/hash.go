package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"runtime"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"strongroom"
)

// Params are the argon2id cost parameters and sizes.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8  // degree of parallelism
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams are OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 thread.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Hasher hashes and verifies passwords with argon2id. At most a fixed number
// of hashes are computed at once; callers beyond that wait for a slot until
// their context ends. A Hasher is safe for concurrent use.
type Hasher struct {
	params Params
	sem    chan struct{}
	limits Params // the largest parameters Verify accepts in a stored hash
	// computed counts the hashes computed, for metrics and benchmarks:
	// the cost of sign-ins is counted in hashes.
	computed atomic.Uint64
}

// NewHasher returns a Hasher that makes hashes with params and runs at most
// concurrent hashes at once (runtime.GOMAXPROCS(0) when concurrent <= 0).
// Zero fields of params take their value from DefaultParams.
func NewHasher(params Params, concurrent int) *Hasher {
	if concurrent <= 0 {
		concurrent = runtime.GOMAXPROCS(0)
	}
	if params.Memory == 0 {
		params.Memory = DefaultParams.Memory
	}
	if params.Time == 0 {
		params.Time = DefaultParams.Time
	}
	if params.Threads == 0 {
		params.Threads = DefaultParams.Threads
	}
	if params.SaltLen == 0 {
		params.SaltLen = DefaultParams.SaltLen
	}
	if params.KeyLen == 0 {
		params.KeyLen = DefaultParams.KeyLen
	}
	return &Hasher{
		params: params,
		sem:    make(chan struct{}, concurrent),
		limits: Params{
			Memory:  max(maxMemory, params.Memory),
			Time:    max(maxTime, params.Time),
			Threads: max(maxThreads, params.Threads),
			SaltLen: max(maxSaltLen, params.SaltLen),
			KeyLen:  max(maxKeyLen, params.KeyLen),
		},
	}
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// errBusy is returned when no hashing slot came free before the context ended.
var errBusy = strongroom.Errorf(strongroom.EUNAVAILABLE, "too many sign-ins at once, try again")

// acquire takes a hashing slot, or fails with errBusy when ctx ends first.
// A free slot is taken even if ctx has already ended.
func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	default:
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return errBusy
	}
}

func (h *Hasher) release() { <-h.sem }

// Computed returns how many argon2id hashes h has computed so far, by Hash,
// Verify and DummyVerify alike.
func (h *Hasher) Computed() uint64 { return h.computed.Load() }

// Hash returns the PHC string of an argon2id hash of pw, after NFKC
// normalisation, with a new random salt:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64).
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	p := phc{Params: h.params, Salt: salt}
	p.Key = h.derive(&p, pw)
	return p.String(), nil
}

// Verify reports whether pw matches the PHC string encoded, comparing in
// constant time, and whether the stored hash was made with weaker
// parameters than h's, so that it should be replaced by h.Hash(pw) now that
// the password is known. A malformed or unsupported hash, or one whose cost
// exceeds the limits (256 MiB, 16 passes, 16 threads), is an EINTERNAL error;
// it is never computed.
func (h *Hasher) Verify(ctx context.Context, pw, encoded string) (ok, needsRehash bool, err error) {
	p, err := parsePHC(encoded, h.limits)
	if err != nil {
		return false, false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	if subtle.ConstantTimeCompare(h.derive(p, pw), p.Key) != 1 {
		return false, false, nil
	}
	return true, p.weakerThan(h.params), nil
}

// DummyVerify does the work of a Verify against a hash made with h's
// parameters and discards the result. Call it when the user name is unknown,
// so that the time taken does not tell whether a user exists.
func (h *Hasher) DummyVerify(ctx context.Context, pw string) {
	if err := h.acquire(ctx); err != nil {
		return
	}
	defer h.release()
	p := phc{Params: h.params, Salt: make([]byte, h.params.SaltLen), Key: make([]byte, h.params.KeyLen)}
	subtle.ConstantTimeCompare(h.derive(&p, pw), p.Key)
}

// derive computes p's key of pw and counts it.
func (h *Hasher) derive(p *phc, pw string) []byte {
	h.computed.Add(1)
	return p.derive(pw)
}

// derive computes the argon2id key of pw with p's parameters and salt.
func (p *phc) derive(pw string) []byte {
	return argon2.IDKey([]byte(norm.NFKC.String(pw)), p.Salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}
