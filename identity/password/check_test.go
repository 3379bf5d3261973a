package password

import (
	"strings"
	"testing"

	"strongroom"
)

func TestCheck(t *testing.T) {
	long := func(n int) string { return strings.Repeat("correct horse ", n/14+1)[:n] }
	tests := []struct {
		name      string
		pw, user  string
		twoFactor bool
		want      string // fragment of the message; "" for accepted
	}{
		{"fifteen", "tulip kettle ox", "alice", false, ""},
		{"fourteen", "tulip kettle o", "alice", false, "at least 15 characters"},
		{"empty", "", "alice", false, "at least 15 characters"},
		{"eight with 2fa", "tulip ox", "alice", true, ""},
		{"seven with 2fa", "tulipox", "alice", true, "at least 8 characters"},
		{"eight without 2fa", "tulip ox", "alice", false, "at least 15 characters"},
		{"max length", long(256), "alice", false, ""},
		{"over max length", long(257), "alice", false, "at most 256 characters"},
		{"huge", strings.Repeat("x", 1<<20), "alice", false, "at most 256 characters"},
		{"code points not bytes", strings.Repeat("é", 256), "alice", false, ""},
		{"code points over max", strings.Repeat("é", 257), "alice", false, "at most 256 characters"},
		{"emoji accents spaces", "crème brûlée 🍮 à la mode", "alice", false, ""},
		{"emoji zwj sequence", "👩‍👩‍👧‍👦 family of four 🏠", "alice", false, ""},
		{"only spaces easy to guess", strings.Repeat(" ", 15), "alice", false, "repeats characters"},
		{"cjk counted per code point", "密码很长很长很长很长很长很长很", "alice", false, ""},
		{"tab", "tulip kettle\tox!", "alice", false, "control characters"},
		{"newline", "tulip kettle\nox!", "alice", false, "control characters"},
		{"nul", "tulip kettle\x00ox!", "alice", false, "control characters"},
		{"del", "tulip kettle\x7fox!", "alice", false, "control characters"},
		{"c1 control", "tulip kettle\u0085ox!", "alice", false, "control characters"},
		{"line separator", "tulip kettle\u2028ox!", "alice", false, "control characters"},
		{"invalid utf-8", "tulip kettle \xffox!", "alice", false, "cannot be read"},
		{"common 2fa", "password1", "alice", true, "too common"},
		{"common 2fa iloveyou", "iloveyou", "alice", true, "too common"},
		{"common 2fa qwertyuiop", "qwertyuiop", "alice", true, "too common"},
		{"common any case", "QwertyUIOP", "alice", true, "too common"},
		{"common 15", "qwertyuiopasdfg", "alice", false, "too common"},
		{"common 15 digits", "12345678901234567890", "alice", false, "too common"},
		{"common 16", "1qaz2wsx3edc4rfv", "alice", false, "too common"},
		{"common fullwidth", "ｑｗｅｒｔｙｕｉｏｐ", "alice", true, "too common"},
		{"common fullwidth upper", "ＱＷＥＲＴＹＵＩＯＰ", "alice", true, "too common"},
		{"equal to user name", "marguerite.dubois", "Marguerite.Dubois", false, "user name"},
		{"contains user name", "tulip kettle bob ox", "bob", false, "user name"},
		{"contains user name any case", "tulip kettle BOB ox", "bOb", false, "user name"},
		{"contains user name fullwidth", "tulip kettle ｂｏｂ ox", "bob", false, "user name"},
		{"user name fullwidth", "tulip kettle bob ox", "ＢＯＢ", false, "user name"},
		{"user name with 2fa", "xx-alice", "alice", true, "user name"},
		{"short user name ignored", "tulip kettle al ox", "al", false, ""},
		{"empty user name ignored", "tulip kettle ox", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.pw, tt.user, tt.twoFactor)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check accepted, want %q", tt.want)
			}
			if code := strongroom.ErrorCode(err); code != strongroom.EINVALID {
				t.Errorf("code = %q, want %q", code, strongroom.EINVALID)
			}
			if f := strongroom.ErrorField(err); f != "password" {
				t.Errorf("field = %q, want password", f)
			}
			msg := strongroom.ErrorMessage(err)
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.want)
			}
			if len(tt.pw) >= 3 && strings.Contains(err.Error(), tt.pw) {
				t.Errorf("error %q holds the password", err)
			}
		})
	}
}

// TestCheckGuessable checks the estimator: passwords long enough and off the
// common list that are still easy to guess, each refused for a reason the
// user can act on, and passphrases that pass.
func TestCheckGuessable(t *testing.T) {
	// The account: user mdubois, "Marguerite Dubois", of tenant acme-legal,
	// "Acme Legal".
	related := []string{"Marguerite Dubois", "acme-legal", "Acme Legal"}
	tests := []struct {
		name      string
		pw        string
		twoFactor bool
		want      string // fragment of the reason; "" for accepted
	}{
		{"one letter repeated", "aaaaaaaaaaaaaaaaaaaa", false, "repeats characters or words"},
		{"word repeated with digits", "passwordpassword123", false, "repeats characters or words"},
		{"own name repeated", "duboisduboisdubois", false, "repeats characters or words"},
		{"own display name", "margueritedubois", false, "your name or your organisation's name"},
		{"own display name and digit", "Marguerite Dubois 1", false, "your name or your organisation's name"},
		{"tenant name and digits", "acmelegal1234567", false, "your name or your organisation's name"},
		{"tenant display name and digits", "Acme Legal 123456", false, "your name or your organisation's name"},
		{"tenant slug and year", "acme-legal-2024!", false, "your name or your organisation's name"},
		{"keyboard walk", "qazwsxedcrfvtgbyhn", false, "common passwords or words"},
		{"keyboard walk backwards", "poiuytrewqlkjhgfdsa", false, "common passwords or words"},
		{"keyboard walk off the list", "zxcvbnm,./asdfghjkl", false, "row of keys"},
		{"run of letters", "abcdefghijklmnopq", false, "run such as abc"},
		{"two factor repeated", "tktktktktk", true, "repeats characters or words"},
		{"two factor tenant name", "acmelegal", true, "your name or your organisation's name"},
		{"passphrase", "correct horse battery staple for the office", false, ""},
		{"passphrase with year", "violet lantern orbits the quarry 1987", false, ""},
		{"five words", "amber tundra kettle mosaic river", false, ""},
		{"three words", "quiet meadow lantern", false, ""},
		{"cyrillic words", "тихий луг фонарь река", false, ""},
		{"chinese verse", "春眠不觉晓处处闻啼鸟夜来风雨声", false, ""},
		{"two factor two words", "tulip ox", true, ""},
		{"two factor random", "k9#Tz!qW", true, ""},
		{"long beginning rated", strings.Repeat("lantern quarry ", 17), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.pw, "mdubois", tt.twoFactor, related...)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check accepted, want %q", tt.want)
			}
			if code, f := strongroom.ErrorCode(err), strongroom.ErrorField(err); code != strongroom.EINVALID || f != "password" {
				t.Errorf("code %q field %q, want %q password", code, f, strongroom.EINVALID)
			}
			msg := strongroom.ErrorMessage(err)
			if !strings.HasPrefix(msg, "This password is easy to guess: ") || !strings.Contains(msg, tt.want) ||
				!strings.HasSuffix(msg, "Add more unrelated words.") {
				t.Errorf("message = %q, want the estimator's refusal with %q", msg, tt.want)
			}
			if strings.Contains(err.Error(), tt.pw) {
				t.Errorf("error %q holds the password", err)
			}
		})
	}
}

// TestCommonList checks the embedded list: its size, its folding, and that
// it holds the entries the other tests rely on.
func TestCommonList(t *testing.T) {
	set, err := commonList()
	if err != nil {
		t.Fatal(err)
	}
	if len(set) != 100_000 {
		t.Errorf("list has %d entries, want 100000", len(set))
	}
	for _, pw := range []string{"123456", "password", "password1", "iloveyou", "qwertyuiop", "qwertyuiopasdfg", "12345678901234567890"} {
		if _, ok := set[pw]; !ok {
			t.Errorf("%q is not on the list", pw)
		}
	}
	for pw := range set {
		if fold(pw) != pw {
			t.Fatalf("list entry %q is not folded", pw)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("tulip kettle ox", "alice", false)
	f.Add("password1", "alice", true)
	f.Add("ｑｗｅｒｔｙｕｉｏｐ", "ＢＯＢ", true)
	f.Add("\xff\x00", "", false)
	f.Fuzz(func(t *testing.T, pw, user string, twoFactor bool) {
		err := Check(pw, user, twoFactor)
		if err != nil && strongroom.ErrorCode(err) != strongroom.EINVALID {
			t.Fatalf("code %q", strongroom.ErrorCode(err))
		}
		if err != nil && strongroom.ErrorField(err) != "password" {
			t.Fatalf("field %q", strongroom.ErrorField(err))
		}
	})
}
