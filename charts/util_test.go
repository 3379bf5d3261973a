package charts

import (
	"fmt"
	"strings"
)

func fmtSscan(s string, f *float64) (int, error) { return fmt.Sscan(s, f) }

func stringsContains(s, sub string) bool { return strings.Contains(s, sub) }
