package blob

import "strongroom"

// IsAbsent reports whether err says an object does not exist.
func IsAbsent(err error) bool { return strongroom.ErrorCode(err) == strongroom.ENOTFOUND }
