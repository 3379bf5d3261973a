// Command depreport writes a Markdown table of every module in the build
// (go list -m -json all), its version and its licence, classified from the
// text of the LICENSE file in the module cache. Unknown and copyleft
// licences are flagged; the exit status is 0 either way, the report is for
// a reviewer.
//
//	go run ./scripts/depreport > .ci/out/dependencies.md
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

type mod struct {
	Path     string
	Version  string
	Main     bool
	Dir      string
	Indirect bool
	Replace  *mod
}

// kinds is checked in order: the first whose pattern matches names the licence.
var kinds = []struct {
	name, pattern string
	copyleft      bool
}{
	{"AGPL-3.0", `GNU AFFERO GENERAL PUBLIC LICENSE`, true},
	{"LGPL", `GNU LESSER GENERAL PUBLIC LICENSE|GNU LIBRARY GENERAL PUBLIC`, true},
	{"GPL", `GNU GENERAL PUBLIC LICENSE`, true},
	{"MPL-2.0", `Mozilla Public License,? [Vv]ersion 2\.0`, true},
	{"EPL", `Eclipse Public License`, true},
	{"Apache-2.0", `Apache License,?\s+Version 2\.0|www\.apache\.org/licenses/LICENSE-2\.0`, false},
	{"BSD-3-Clause", `Neither the name of|neither the name of`, false},
	{"BSD-2-Clause", `Redistributions in binary form must reproduce`, false},
	{"MIT", `Permission is hereby granted, free of charge`, false},
	{"ISC", `Permission to use, copy, modify, and(/or)? distribute this software for any`, false},
	{"Unlicense", `This is free and unencumbered software`, false},
	{"CC0-1.0", `CC0 1\.0|Creative Commons Zero`, false},
}

func classify(text string) (string, bool) {
	for _, k := range kinds {
		if regexp.MustCompile(k.pattern).MatchString(text) {
			return k.name, k.copyleft
		}
	}
	return "", false
}

func licenceText(dir string) (string, string) {
	if dir == "" {
		return "", ""
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", ""
	}
	for _, e := range entries {
		n := strings.ToUpper(e.Name())
		if !e.IsDir() && (strings.HasPrefix(n, "LICENSE") || strings.HasPrefix(n, "LICENCE") || strings.HasPrefix(n, "COPYING")) {
			b, err := os.ReadFile(filepath.Join(dir, e.Name())) // #nosec G304 -- a file in the module cache
			if err == nil {
				return e.Name(), string(b)
			}
		}
	}
	return "", ""
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "depreport:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	cmd := exec.Command("go", "list", "-m", "-json", "all")
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	fmt.Fprintln(out, "# Dependencies")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Every module in the build list (`go list -m all`), its version, and its licence as read from its LICENSE file in the module cache. Modules not needed by the packages built are not downloaded and show as *not in cache*.")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| module | version | licence | flag |")
	fmt.Fprintln(out, "| --- | --- | --- | --- |")
	var flagged, total int
	for {
		var m mod
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
		if m.Main {
			continue
		}
		total++
		if m.Replace != nil {
			m.Dir, m.Version = m.Replace.Dir, m.Version+" => "+m.Replace.Path+" "+m.Replace.Version
		}
		lic, flag := "*not in cache*", ""
		if m.Dir != "" {
			file, text := licenceText(m.Dir)
			name, copyleft := classify(text)
			switch {
			case file == "":
				lic, flag = "*no licence file*", "UNKNOWN"
			case name == "":
				lic, flag = file+": *unrecognised*", "UNKNOWN"
			default:
				lic = name
				if copyleft {
					flag = "COPYLEFT"
				}
			}
		}
		if flag != "" {
			flagged++
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s |\n", m.Path, m.Version, lic, flag)
	}
	fmt.Fprintf(out, "\n%d modules, %d flagged (unknown or copyleft licence).\n", total, flagged)
	fmt.Fprintf(os.Stderr, "depreport: %d modules, %d flagged\n", total, flagged)
	return nil
}
