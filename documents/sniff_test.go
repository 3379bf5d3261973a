package documents

import (
	"mime"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSanitizeFilename(t *testing.T) {
	for in, want := range map[string]string{
		"report.pdf":                      "report.pdf",
		`C:\Users\a\Desktop\brief.docx`:   "brief.docx",
		"../../etc/passwd":                "passwd",
		"..":                              "document",
		"":                                "document",
		" .hidden. ":                      "hidden",
		"invoice\u202Efdp.exe":            "invoice_fdp.exe", // a right-to-left override disguising .exe
		"a\x00b\nc.txt":                   "a_b_c.txt",
		`what?*:<>|".txt`:                 "what_______.txt",
		"r\xe9sum\xe9.txt":                "r_sum_.txt",
		"Schriftsatz Müller & Söhne.pdf":  "Schriftsatz Müller & Söhne.pdf",
		strings.Repeat("é", 300) + ".pdf": strings.Repeat("é", 98) + ".pdf",
	} {
		if got := SanitizeFilename(in); got != want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{"a.pdf", `..\..\x`, "\u202Eexe.txt", " . ", strings.Repeat("ab.", 100), "\xff\xfe.txt"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := SanitizeFilename(in)
		if out == "" || len(out) > maxFilename || !utf8.ValidString(out) {
			t.Fatalf("%q → %q: empty, long or invalid", in, out)
		}
		if strings.ContainsAny(out, `/\"*:<>?|`) || strings.Trim(out, ". ") != out {
			t.Fatalf("%q → %q: reserved characters or edges", in, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("%q → %q: control or format character %U", in, out, r)
			}
		}
		if again := SanitizeFilename(out); again != out {
			t.Fatalf("not stable: %q → %q → %q", in, out, again)
		}
		if cd := mime.FormatMediaType("attachment", map[string]string{"filename": out}); cd == "" {
			t.Fatalf("%q: no Content-Disposition", out)
		} else if _, params, err := mime.ParseMediaType(cd); err != nil || params["filename"] != out {
			t.Fatalf("%q: Content-Disposition %q reads back as %q (%v)", out, cd, params["filename"], err)
		}
	})
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct{ head, name, want string }{
		{"<html><body>x", "a.png", "text/html; charset=utf-8"},
		{"\x89PNG\r\n\x1a\n", "a.txt", "image/png"},
		{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.DOC", "application/msword"},
		{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.bin", "application/octet-stream"},
		{"a,b,c\n1,2,3\n", "t.csv", "text/csv; charset=utf-8"},
		{"\x7fELF\x02\x01", "x.pdf", "application/octet-stream"},
	} {
		if got := sniff([]byte(tc.head), tc.name); got != tc.want {
			t.Errorf("sniff(%q, %q) = %q, want %q", tc.head, tc.name, got, tc.want)
		}
	}
}
