//go:build !race

package browsertest

// raceDetector reports whether this build has the race detector on.
const raceDetector = false
