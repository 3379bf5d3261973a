//go:build !race

package main

// raceDetector reports whether the tests run under the race detector,
// which makes sweeps of thousands of requests too slow to run there.
const raceDetector = false
