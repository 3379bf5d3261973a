package web

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"strongroom"
)

// FuzzDecodePoints feeds the push body's points to their decoder: it never
// panics, and every problem names a point by its index.
func FuzzDecodePoints(f *testing.F) {
	for _, s := range []string{
		`[{"metric":"crm.pipeline","at":"2026-03-10T12:00:00Z","value":1.5,"dimensions":{"region":"north"}}]`,
		`[{"metric":"x","at":"yesterday","value":"1"}]`, `[null, 1, "a", {"colour":"red"}]`, `[{"value":1e999}]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var raw []json.RawMessage
		if json.Unmarshal([]byte(s), &raw) != nil {
			return
		}
		points, err := decodePoints(raw)
		for _, p := range strongroom.ErrorProblems(err) {
			if !strings.HasPrefix(p.Field, "points[") {
				t.Fatalf("problem %+v does not name a point", p)
			}
		}
		if err == nil && len(points) != len(raw) {
			t.Fatalf("%d points from %d", len(points), len(raw))
		}
	})
}

// FuzzParseInstant reads from and to as a series query takes them.
func FuzzParseInstant(f *testing.F) {
	for _, s := range []string{"", "2026-03-10", "2026-03-10T12:00:00Z", "2026-02-30", "soon"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, err := parseInstant(s, time.UTC)
		if err != nil && !at.IsZero() {
			t.Fatalf("%q: a time with an error", s)
		}
	})
}
