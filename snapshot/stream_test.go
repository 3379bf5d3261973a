package snapshot

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"strongroom"
	"strongroom/seed"
	"strongroom/seed/seedtest"
	"strongroom/store"
	"strongroom/store/storetest"
)

// recorder keeps the largest write it was given, and fails once it has
// taken limit bytes (0: never).
type recorder struct {
	bytes.Buffer
	largest, limit int
}

var errFull = errors.New("writer full")

func (r *recorder) Write(p []byte) (int, error) {
	r.largest = max(r.largest, len(p))
	if r.limit > 0 && r.Len()+len(p) > r.limit {
		return 0, errFull
	}
	return r.Buffer.Write(p)
}

// Rows go out as they are read, through a bounded buffer: no write is
// larger than a few frames however large the stream, and a writer that
// fails stops the export (its copy removed).
func TestExportStreams(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		h, ids := seedtest.Tenant(t, e)
		// Generating is bulk work, not a request: no per-operation deadline
		// (under the race detector on a busy machine it can pass 10 s).
		if _, _, err := seed.Bench(store.WithTimeout(ctx, 0), h, ids, seed.BenchOptions{Records: 6000}); err != nil {
			t.Fatal(err)
		}
		var all recorder
		sum, err := Export(ctx, h.DB, t.TempDir(), &all)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Bytes < 1<<20 || all.largest > 512<<10 {
			t.Fatalf("stream of %d bytes came in writes of up to %d bytes", sum.Bytes, all.largest)
		}
		tmp := t.TempDir()
		short := recorder{limit: 300 << 10}
		if _, err := Export(ctx, h.DB, tmp, &short); !errors.Is(err, errFull) {
			t.Fatalf("export to a failing writer: %v", err)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("a failed export left %v behind", left)
		}
		missing := filepath.Join(t.TempDir(), "gone")
		if _, err := Export(ctx, h.DB, missing, &recorder{}); e.Dialect() == store.SQLite &&
			(strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE || !strings.Contains(strongroom.ErrorMessage(err), missing)) {
			t.Errorf("export with a missing temporary directory: %v", err)
		}
		// The same bytes load back, read through a reader that gives a
		// few bytes at a time.
		dst := target(t, storeEngine(t, e), "firm")
		if _, err := Import(ctx, dst, &trickle{r: bytes.NewReader(all.Bytes())}); err != nil {
			t.Fatal(err)
		}
	})
}

// trickle hands out at most 7 bytes per Read.
type trickle struct{ r *bytes.Reader }

func (t *trickle) Read(p []byte) (int, error) { return t.r.Read(p[:min(len(p), 7)]) }
