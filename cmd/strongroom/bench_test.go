package main

import (
	"regexp"
	"strings"
	"testing"
)

// bench run times each search and case list beside its floor and prints
// both with their ratio; bad memory settings are refused by name.
func TestBenchRun(t *testing.T) {
	s := storage(t)
	for _, args := range [][]string{
		{"tenant", "create", "bench-small"},
		{"bench", "seed", "--records", "2000", "bench-small"},
	} {
		if code, out, errs := cli(t, append(args, s...)...); code != 0 {
			t.Fatalf("%v: exit %d: %s %s", args, code, out, errs)
		}
	}
	code, out, errs := cli(t, append([]string{"bench", "run", "--queries", "8", "bench-small"}, s...)...)
	if code != 0 {
		t.Fatalf("bench run: exit %d: %s %s", code, out, errs)
	}
	for _, row := range []string{"search, first page, unrestricted", "search, first page, restricted",
		"case list, first page, restricted", "case list; floor: its list query alone, unrestricted"} {
		// service p50, floor p50, ratio, service p99, floor p99, ratio
		re := regexp.MustCompile(regexp.QuoteMeta(row) + `\s+[\d.]+ ms\s+[\d.]+ ms\s+[\d.]+x\s+[\d.]+ ms\s+[\d.]+ ms\s+[\d.]+x`)
		if !re.MatchString(out) {
			t.Errorf("no figures beside a floor for %q in:\n%s", row, out)
		}
	}
	code, _, errs = cli(t, append([]string{"bench", "run", "--tenant-mmap", "-1", "bench-small"}, s...)...)
	if code == 0 || !strings.Contains(errs, "tenant-mmap") {
		t.Errorf("negative memory map: exit %d, %q", code, errs)
	}
}

// bench dashboards renders the twelve-widget dashboard cold and warm for
// both viewers, the cold render beside its floor.
func TestBenchDashboards(t *testing.T) {
	s := storage(t)
	for _, args := range [][]string{
		{"tenant", "create", "bench-dash"},
		{"bench", "seed", "--records", "2000", "bench-dash"},
	} {
		if code, out, errs := cli(t, append(args, s...)...); code != 0 {
			t.Fatalf("%v: exit %d: %s %s", args, code, out, errs)
		}
	}
	code, out, errs := cli(t, append([]string{"bench", "dashboards", "--renders", "3", "-v", "bench-dash"}, s...)...)
	if code != 0 {
		t.Fatalf("bench dashboards: exit %d: %s %s", code, out, errs)
	}
	for _, viewer := range []string{"unrestricted", "restricted"} {
		// queries, p50, p95, p99, floor p50, p95, p99, ratio p50, ratio p99
		re := regexp.MustCompile(`dashboard, cold cache, ` + viewer + `\s+\d+(\s+[\d.]+ ms){6}\s+[\d.]+x\s+[\d.]+x`)
		if !re.MatchString(out) {
			t.Errorf("no cold figures beside a floor for %s in:\n%s", viewer, out)
		}
		if !regexp.MustCompile(`dashboard, warm cache, ` + viewer + `\s+0(\s+[\d.]+ ms){3}`).MatchString(out) {
			t.Errorf("no warm figures for %s in:\n%s", viewer, out)
		}
	}
	if !strings.Contains(out, "Documents added") {
		t.Errorf("no per-widget times in:\n%s", out)
	}
}
