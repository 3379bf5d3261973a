package storetest

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"strongroom/store"
)

// CPUSeconds is the processor time spent so far by this process and, on
// PostgreSQL, by the server processes connected to db's database: on a
// machine shared with other work it says what a variant costs better than
// the time it took, which the others' load stretches.
func CPUSeconds(b testing.TB, db *store.DB) float64 {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	s := float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	if db.Dialect != store.Postgres {
		return s
	}
	rows, err := db.QueryContext(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		s += procCPU(pid)
	}
	return s
}

// procCPU reads utime and stime of a process from /proc (clock ticks of
// 1/100 s); 0 when it is gone or not readable.
func procCPU(pid int) float64 {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing parenthesis (state is field 3, utime 14, stime 15).
	_, rest, ok := strings.Cut(string(stat), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}
