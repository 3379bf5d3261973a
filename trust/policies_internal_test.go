package trust

import (
	"testing"
	"time"
)

func TestDurationPhrase(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Minute:                    "30 minutes",
		12 * time.Hour:                      "12 hours",
		time.Hour + 30*time.Minute:          "1 hour 30 minutes",
		24 * time.Hour:                      "1 day",
		45 * time.Second:                    "45 seconds",
		time.Minute + time.Second:           "1 minute 1 second",
		0:                                   "0 seconds",
		36*time.Hour + 500*time.Millisecond: "1 day 12 hours 1 second",
	} {
		if got := durationPhrase(d); got != want {
			t.Errorf("durationPhrase(%v) = %q, want %q", d, got, want)
		}
	}
}
