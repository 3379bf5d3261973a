package cases

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestIndexable(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 100, "plain"},
		{"nul\x00byte", 100, "nulbyte"},
		{"bad\xffutf8", 100, "badutf8"},
		{"ééé", 3, "é"}, // 6 bytes; a cut at 3 would split the second é
		{strings.Repeat("a", 10), 4, "aaaa"},
	} {
		got := indexable(tc.in, tc.max)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("indexable(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
