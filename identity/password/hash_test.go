package password

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom"
)

// testParams keep hashing fast; only TestDefaultParams uses the real cost.
var testParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(testParams, 2)
	tests := []struct {
		name         string
		stored, try  string
		wantOK       bool
		wantRehashed bool
	}{
		{"same", "tulip kettle ox", "tulip kettle ox", true, false},
		{"wrong", "tulip kettle ox", "tulip kettle oz", false, false},
		{"case matters", "tulip kettle ox", "Tulip kettle ox", false, false},
		{"empty try", "tulip kettle ox", "", false, false},
		{"nfkc on hash", "ｔｕｌｉｐ kettle ox", "tulip kettle ox", true, false},
		{"nfkc on verify", "tulip kettle ox", "ｔｕｌｉｐ kettle ox", true, false},
		{"composed and decomposed", "cre\u0300me brûlée 🍮", "crème brûlée 🍮", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := h.Hash(ctx, tt.stored)
			if err != nil {
				t.Fatal(err)
			}
			ok, rehash, err := h.Verify(ctx, tt.try, enc)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.wantOK || rehash != tt.wantRehashed {
				t.Errorf("Verify = %v, %v, want %v, %v", ok, rehash, tt.wantOK, tt.wantRehashed)
			}
		})
	}
}

func TestHashSalted(t *testing.T) {
	h := NewHasher(testParams, 1)
	a, err := h.Hash(context.Background(), "tulip kettle ox")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Hash(context.Background(), "tulip kettle ox")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("two hashes of one password are equal: salt not random")
	}
	if strings.Contains(a, "tulip") {
		t.Error("hash holds the password")
	}
}

func TestDefaultParams(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(DefaultParams, 0)
	if cap(h.sem) != runtime.GOMAXPROCS(0) {
		t.Errorf("slots = %d, want GOMAXPROCS %d", cap(h.sem), runtime.GOMAXPROCS(0))
	}
	enc, err := h.Hash(ctx, "tulip kettle ox")
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(enc, prefix) {
		t.Fatalf("hash %q does not start %q", enc, prefix)
	}
	p, err := parsePHC(enc, h.limits)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Salt) != 16 || len(p.Key) != 32 {
		t.Errorf("salt %d bytes, key %d bytes, want 16 and 32", len(p.Salt), len(p.Key))
	}
	if ok, rehash, err := h.Verify(ctx, "tulip kettle ox", enc); !ok || rehash || err != nil {
		t.Errorf("Verify = %v, %v, %v, want true, false, nil", ok, rehash, err)
	}
}

func TestNewHasherFillsZeroParams(t *testing.T) {
	if got := NewHasher(Params{}, 1).Params(); got != DefaultParams {
		t.Errorf("params = %+v, want %+v", got, DefaultParams)
	}
}

func TestNeedsRehash(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, 1)
	tests := []struct {
		name   string
		params Params
		want   bool
	}{
		{"same", h.Params(), false},
		{"less time", Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"less memory", Params{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"shorter salt", Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 8, KeyLen: 32}, true},
		{"shorter key", Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 16}, true},
		{"stronger", Params{Memory: 256, Time: 3, Threads: 1, SaltLen: 32, KeyLen: 64}, false},
		{"more threads", Params{Memory: 128, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := NewHasher(tt.params, 1).Hash(ctx, "tulip kettle ox")
			if err != nil {
				t.Fatal(err)
			}
			ok, rehash, err := h.Verify(ctx, "tulip kettle ox", enc)
			if err != nil || !ok {
				t.Fatalf("Verify = %v, %v", ok, err)
			}
			if rehash != tt.want {
				t.Errorf("needsRehash = %v, want %v", rehash, tt.want)
			}
			if ok, rehash, _ := h.Verify(ctx, "wrong", enc); ok || rehash {
				t.Errorf("wrong password: Verify = %v, %v, want false, false", ok, rehash)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	const salt, key = "c2FsdHNhbHRzYWx0c2FsdA", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	good := fmt.Sprintf("$argon2id$v=19$m=64,t=1,p=1$%s$%s", salt, key)
	h := NewHasher(testParams, 1)
	if _, _, err := h.Verify(context.Background(), "x", good); err != nil {
		t.Fatalf("control hash refused: %v", err)
	}
	tests := []struct{ name, enc string }{
		{"empty", ""},
		{"dollar", "$"},
		{"plain text", "tulip kettle ox"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"scrypt", "$scrypt$ln=15,r=8,p=1$" + salt + "$" + key},
		{"no leading dollar", "argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"missing version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"old version", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"missing params", "$argon2id$v=19$$" + salt + "$" + key},
		{"missing t", "$argon2id$v=19$m=64,p=1$" + salt + "$" + key},
		{"params out of order", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{"extra param", "$argon2id$v=19$m=64,t=1,p=1,k=1$" + salt + "$" + key},
		{"empty value", "$argon2id$v=19$m=,t=1,p=1$" + salt + "$" + key},
		{"negative", "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key},
		{"not a number", "$argon2id$v=19$m=lots,t=1,p=1$" + salt + "$" + key},
		{"missing salt", "$argon2id$v=19$m=64,t=1,p=1$" + key},
		{"missing hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$"},
		{"extra field", good + "$" + key},
		{"bad base64 salt", "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key},
		{"padded base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"url base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2_-"},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key},
		{"short hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$a2V5"},
		{"zero time", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"zero threads", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{"memory below 8p", "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key},
		{"huge memory", "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key},
		{"just over memory cap", "$argon2id$v=19$m=262145,t=1,p=1$" + salt + "$" + key},
		{"max uint32 memory", "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key},
		{"overflow memory", "$argon2id$v=19$m=99999999999999999999,t=1,p=1$" + salt + "$" + key},
		{"huge time", "$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + key},
		{"huge threads", "$argon2id$v=19$m=4096,t=1,p=255$" + salt + "$" + key},
		{"threads over uint8", "$argon2id$v=19$m=4096,t=1,p=256$" + salt + "$" + key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			ok, rehash, err := h.Verify(context.Background(), "tulip kettle ox", tt.enc)
			if err == nil {
				t.Fatalf("Verify = %v, %v, nil; want an error", ok, rehash)
			}
			if ok || rehash {
				t.Errorf("Verify = %v, %v with an error", ok, rehash)
			}
			if !errors.Is(err, ErrMalformedHash) {
				t.Errorf("err = %v, want ErrMalformedHash", err)
			}
			if code := strongroom.ErrorCode(err); code != strongroom.EINTERNAL {
				t.Errorf("code = %q, want %q", code, strongroom.EINTERNAL)
			}
			if len(tt.enc) > 8 && strings.Contains(err.Error(), tt.enc) {
				t.Errorf("error quotes the stored hash")
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("refusing took %v: the hash was computed", d)
			}
		})
	}
}

func TestMemoryCap(t *testing.T) {
	// A stored hash at the cap is computed; above it, refused (above).
	h := NewHasher(testParams, 1)
	if _, err := parsePHC("$argon2id$v=19$m=262144,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U", h.limits); err != nil {
		t.Errorf("m at the cap refused: %v", err)
	}
	// A hasher configured above the cap still reads its own hashes.
	big := NewHasher(Params{Memory: 512 * 1024}, 1)
	if _, err := parsePHC("$argon2id$v=19$m=524288,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U", big.limits); err != nil {
		t.Errorf("hasher's own memory refused: %v", err)
	}
}

func TestConcurrencyBound(t *testing.T) {
	h := NewHasher(testParams, 1)
	enc, err := h.Hash(context.Background(), "tulip kettle ox")
	if err != nil {
		t.Fatal(err)
	}
	h.sem <- struct{}{} // another sign-in holds the only slot

	busy := func(t *testing.T, err error) {
		t.Helper()
		if code := strongroom.ErrorCode(err); code != strongroom.EUNAVAILABLE {
			t.Fatalf("err = %v, want code %q", err, strongroom.EUNAVAILABLE)
		}
		if msg := strongroom.ErrorMessage(err); msg != "too many sign-ins at once, try again" {
			t.Errorf("message = %q", msg)
		}
	}
	t.Run("hash", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := h.Hash(ctx, "tulip kettle ox")
		busy(t, err)
	})
	t.Run("verify", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		ok, _, err := h.Verify(ctx, "tulip kettle ox", enc)
		busy(t, err)
		if ok {
			t.Error("ok with an error")
		}
	})
	t.Run("dummy returns", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		h.DummyVerify(ctx, "tulip kettle ox")
	})
	t.Run("waits for the slot", func(t *testing.T) {
		done := make(chan error, 1)
		go func() {
			_, err := h.Hash(context.Background(), "tulip kettle ox")
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("Hash ran while the slot was held: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		<-h.sem // the other sign-in finishes
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("free slot with ended ctx", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if ok, _, err := h.Verify(ctx, "tulip kettle ox", enc); !ok || err != nil {
			t.Errorf("Verify = %v, %v; want a free slot taken", ok, err)
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	h := NewHasher(testParams, 2)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			pw := fmt.Sprintf("tulip kettle ox %d", i)
			enc, err := h.Hash(context.Background(), pw)
			if err != nil {
				t.Error(err)
				return
			}
			if ok, _, err := h.Verify(context.Background(), pw, enc); !ok || err != nil {
				t.Errorf("Verify = %v, %v", ok, err)
			}
			h.DummyVerify(context.Background(), pw)
		})
	}
	wg.Wait()
	if n := len(h.sem); n != 0 {
		t.Errorf("%d slots still held", n)
	}
}

// TestDummyVerifyTiming checks that DummyVerify costs about what Verify
// does. The bounds are loose: the point is to catch a DummyVerify that does
// no work or a different amount of it.
func TestDummyVerifyTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	ctx := context.Background()
	h := NewHasher(Params{Memory: 2 * 1024, Time: 2, Threads: 1}, 1)
	enc, err := h.Hash(ctx, "tulip kettle ox")
	if err != nil {
		t.Fatal(err)
	}
	fastest := func(f func()) time.Duration {
		best := time.Duration(1 << 62)
		for range 5 {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	real := fastest(func() { h.Verify(ctx, "wrong guess", enc) })
	dummy := fastest(func() { h.DummyVerify(ctx, "wrong guess") })
	if dummy < real/3 || dummy > real*3 {
		t.Errorf("DummyVerify took %v, Verify %v", dummy, real)
	}
}

func FuzzVerify(f *testing.F) {
	h := NewHasher(testParams, 1)
	h.limits.Memory = 1024 // keep each run small
	enc, err := h.Hash(context.Background(), "tulip kettle ox")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Add("")
	f.Add("$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, encoded string) {
		ok, rehash, err := h.Verify(context.Background(), "tulip kettle ox", encoded)
		if err != nil && (ok || rehash) {
			t.Fatalf("Verify = %v, %v, %v", ok, rehash, err)
		}
		if err != nil && !errors.Is(err, ErrMalformedHash) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// Every computed hash is counted, whichever call computed it; a stored hash
// refused unparsed is not.
func TestComputedCounts(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(testParams, 1)
	enc, err := h.Hash(ctx, "tulip kettle ox")
	if err != nil {
		t.Fatal(err)
	}
	h.Verify(ctx, "tulip kettle ox", enc)
	h.DummyVerify(ctx, "tulip kettle ox")
	if _, _, err := h.Verify(ctx, "tulip kettle ox", "$argon2id$nonsense"); err == nil {
		t.Fatal("a malformed hash was accepted")
	}
	if n := h.Computed(); n != 3 {
		t.Fatalf("Computed() = %d after a Hash, a Verify and a DummyVerify", n)
	}
}
