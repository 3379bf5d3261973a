package metrics

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"unicode"
	"unicode/utf8"

	"strongroom"
)

// checkDims checks a point's dimensions (or a query's filter), naming
// field and the key at fault ("points[3].dimensions.region"). The messages
// never echo a key or value.
func checkDims(field string, dims map[string]string) error {
	var ps strongroom.Problems
	if len(dims) > MaxDims {
		ps.Addf(field, "At most %d dimensions.", MaxDims)
		return ps.Err()
	}
	for k, v := range dims {
		f := field + "." + k
		if !dimKeyPattern.MatchString(k) {
			// The key itself is bad: do not put it in the field name.
			ps.Addf(field, "A dimension name is lowercase letters, digits and underscores, starting with a letter, at most %d characters.", MaxDimKey)
			continue
		}
		switch {
		case v == "":
			ps.Addf(f, "A dimension needs a value.")
		case !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxDimValue:
			ps.Addf(f, "A dimension value is at most %d characters of text.", MaxDimValue)
		default:
			for _, r := range v {
				if unicode.IsControl(r) {
					ps.Addf(f, "A dimension value may not hold control characters.")
					break
				}
			}
		}
	}
	return ps.Err()
}

// canonicalDims is the stored text of a point's dimensions: a JSON object
// with its keys sorted (encoding/json sorts map keys), "{}" for none, so
// that the same dimensions always give the same text and the same key.
func canonicalDims(dims map[string]string) string {
	if len(dims) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(dims) // a map of strings always encodes
	return string(b)
}

// dimsKey is the key of canonical dimensions in metric_points' primary key.
func dimsKey(canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return hex.EncodeToString(sum[:])
}

// parseDims reads stored dimensions; a damaged row reads as none.
func parseDims(s string) map[string]string {
	var m map[string]string
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return m
}

// matches reports whether dims hold every pair of filter.
func matches(dims, filter map[string]string) bool {
	for k, v := range filter {
		if dims[k] != v {
			return false
		}
	}
	return true
}
