package charts

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden compares every widget kind at both sizes (and the data
// tables) with testdata; go test ./charts -run TestGolden -update
// rewrites them after a change that was looked at.
func TestGolden(t *testing.T) {
	for _, s := range samples() {
		for _, size := range []struct {
			name string
			size Size
		}{{"normal", Normal}, {"kiosk", Kiosk}} {
			t.Run(s.name+"-"+size.name, func(t *testing.T) {
				got := string(s.render(Options{Size: size.size}))
				wellFormed(t, got)
				golden(t, s.name+"-"+size.name+"."+s.ext, got)
			})
		}
		if s.table != nil {
			t.Run(s.name+"-data", func(t *testing.T) {
				got := string(s.table(Options{}))
				wellFormed(t, got)
				golden(t, s.name+"-data.html", got)
			})
		}
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name)
	got += "\n"
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update after looking at it):\n%s", file, firstDiff(string(want), got))
	}
}

func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-80)
	return "want …" + a[lo:min(len(a), i+80)] + "…\n got …" + b[lo:min(len(b), i+80)] + "…"
}

// wellFormed fails unless s is well-formed XML with one root element, no
// style attribute (the CSP forbids it) and no script.
func wellFormed(t testing.TB, s string) {
	t.Helper()
	if err := checkXML(s); err != nil {
		t.Fatalf("%v in:\n%s", err, s)
	}
}

func checkXML(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
			if strings.EqualFold(e.Name.Local, "script") || strings.EqualFold(e.Name.Local, "style") || strings.EqualFold(e.Name.Local, "foreignObject") {
				return &xml.SyntaxError{Msg: "element " + e.Name.Local}
			}
			for _, a := range e.Attr {
				if strings.EqualFold(a.Name.Local, "style") || strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
					return &xml.SyntaxError{Msg: "attribute " + a.Name.Local}
				}
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(e)) > 0 {
				return &xml.SyntaxError{Msg: "text outside the root"}
			}
		}
	}
	if roots != 1 || depth != 0 {
		return &xml.SyntaxError{Msg: "not one root element"}
	}
	return nil
}
