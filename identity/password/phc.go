package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash is wrapped by the error Verify returns for a stored hash
// it cannot read or will not compute. Its code is EINTERNAL: a stored hash
// is never the user's fault.
var ErrMalformedHash = errors.New("malformed password hash")

// Limits on the parameters of a stored hash, so that a corrupt or planted
// hash cannot make Verify allocate or spin without bound. A Hasher whose own
// parameters are larger accepts up to its own.
const (
	maxMemory  = 256 * 1024 // KiB: 256 MiB
	maxTime    = 16
	maxThreads = 16
	maxSaltLen = 64
	maxKeyLen  = 128
	minSaltLen = 8
	minKeyLen  = 16
)

// b64 is the base64 of PHC strings: standard alphabet, no padding, and
// no stray bits.
var b64 = base64.RawStdEncoding.Strict()

// phc is a parsed argon2id PHC string.
type phc struct {
	Params
	Salt, Key []byte
}

// String formats p as $argon2id$v=19$m=…,t=…,p=…$salt$key.
func (p *phc) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(p.Salt), b64.EncodeToString(p.Key))
}

// weakerThan reports whether p's hash costs an attacker less than one made
// with want would.
func (p *phc) weakerThan(want Params) bool {
	return p.Memory < want.Memory || p.Time < want.Time ||
		uint32(len(p.Salt)) < want.SaltLen || uint32(len(p.Key)) < want.KeyLen
}

func malformed(what string) error {
	return fmt.Errorf("%w: %s", ErrMalformedHash, what)
}

// parsePHC reads an argon2id PHC string, refusing parameters above limits.
// Its errors never quote the input.
func parsePHC(s string, limits Params) (*phc, error) {
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" {
		return nil, malformed("want 5 fields")
	}
	if f[1] != "argon2id" {
		return nil, malformed("not argon2id")
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return nil, malformed("unsupported version")
	}
	var p phc
	if err := p.parseParams(f[3], limits); err != nil {
		return nil, err
	}
	var err error
	if p.Salt, err = b64.DecodeString(f[4]); err != nil {
		return nil, malformed("bad salt encoding")
	}
	if p.Key, err = b64.DecodeString(f[5]); err != nil {
		return nil, malformed("bad hash encoding")
	}
	if n := len(p.Salt); n < minSaltLen || n > int(limits.SaltLen) {
		return nil, malformed("salt length out of range")
	}
	if n := len(p.Key); n < minKeyLen || n > int(limits.KeyLen) {
		return nil, malformed("hash length out of range")
	}
	p.SaltLen, p.KeyLen = uint32(len(p.Salt)), uint32(len(p.Key))
	return &p, nil
}

// parseParams reads "m=…,t=…,p=…", in that order, each once.
func (p *phc) parseParams(s string, limits Params) error {
	kv := strings.Split(s, ",")
	if len(kv) != 3 {
		return malformed("want m, t and p")
	}
	var vals [3]uint64
	for i, key := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(kv[i], key)
		if !ok {
			return malformed("want m, t and p")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return malformed("bad parameter")
		}
		vals[i] = n
	}
	m, t, th := vals[0], vals[1], vals[2]
	switch {
	case th < 1 || th > uint64(limits.Threads):
		return malformed("parallelism out of range")
	case t < 1 || t > uint64(limits.Time):
		return malformed("time out of range")
	case m < 8*th || m > uint64(limits.Memory):
		return malformed("memory out of range")
	}
	p.Memory, p.Time, p.Threads = uint32(m), uint32(t), uint8(th)
	return nil
}
