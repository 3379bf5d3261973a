package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"sync"
)

// commonGz holds the 100,000 most common passwords from SecLists, NFKC
// normalised and lower-cased, one a line. README-list.md says where it
// comes from and how to make it again (genlist.go).
//
//go:embed common-passwords.txt.gz
var commonGz []byte

// commonList returns the set of common passwords, read from commonGz the
// first time it is needed.
var commonList = sync.OnceValues(func() (map[string]struct{}, error) {
	return readList(commonGz)
})

func readList(gz []byte) (map[string]struct{}, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("read common-password list: %w", err)
	}
	defer zr.Close()
	set := make(map[string]struct{}, 100_000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			set[line] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read common-password list: %w", err)
	}
	return set, nil
}

// isCommon reports whether the folded password (see fold) is on the list.
func isCommon(folded string) (bool, error) {
	set, err := commonList()
	if err != nil {
		return false, err
	}
	_, ok := set[folded]
	return ok, nil
}
