package blob

import (
	"strings"
	"unicode/utf8"

	"strongroom"
)

// maxKey is S3's limit on a key's length in bytes, the tightest of the
// stores.
const maxKey = 1024

// checkKey refuses keys that some store cannot hold as the same object the
// others hold under it, so that a key means one thing on every target: a
// directory store would clean "a//b" and "a/./b" into "a/b" and cannot hold
// an object named like its own temporary files (".tmp") or fileblob's
// attribute files (".attrs"). Slashes, dots and any other Unicode are fine.
func checkKey(key string) error {
	if key == "" {
		return strongroom.FieldError("key", "An object key cannot be empty.")
	}
	if strings.HasSuffix(key, "/") {
		return strongroom.FieldError("key", "The object key %q ends with a slash.", key)
	}
	if err := checkPath(key); err != nil {
		return err
	}
	if strings.HasSuffix(key, ".tmp") || strings.HasSuffix(key, ".attrs") {
		return strongroom.FieldError("key", "The object key %q ends in .tmp or .attrs, which a directory store keeps for itself.", key)
	}
	return nil
}

// checkPrefix refuses prefixes no valid key can start with in a way the
// stores agree on; "" and a trailing slash are fine.
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return checkPath(strings.TrimSuffix(prefix, "/"))
}

func checkPath(p string) error {
	if len(p) > maxKey {
		return strongroom.FieldError("key", "The object key is %d bytes long; at most %d are allowed.", len(p), maxKey)
	}
	if !utf8.ValidString(p) {
		return strongroom.FieldError("key", "The object key is not valid UTF-8.")
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return strongroom.FieldError("key", "The object key %q holds a control character or a backslash.", p)
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return strongroom.FieldError("key", "The object key %q has an empty, \".\" or \"..\" part between slashes.", p)
		}
	}
	return nil
}
