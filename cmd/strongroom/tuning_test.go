package main

import (
	"testing"

	"strongroom"
	"strongroom/store/sqlite"
)

// The tenant page cache is shared out so that the tenants that may be
// open at once hold no more than it together; bad values name their flag.
func TestTenantMemorySettings(t *testing.T) {
	fs := newFlagSet("test", nil, "")
	var c StorageConfig
	c.register(fs)
	if err := fs.Parse([]string{"--tenant-page-cache", "640", "--max-open-tenants", "8", "--tenant-mmap", "256"}); err != nil {
		t.Fatal(err)
	}
	got := c.sqliteTuning()
	if total := got.CacheSize * 8 * sqlite.ConnsPerTenant; total > 640<<20 || total < 639<<20 || got.MmapSize != 256<<20 {
		t.Fatalf("tuning %+v: %d bytes of page cache for 8 tenants, want 640 MiB", got, total)
	}
	if d := (StorageConfig{}).maxOpenTenants(); d != defaultMaxOpenTenants {
		t.Fatalf("unset limit of open tenants: %d", d)
	}
	for flag, bad := range map[string]StorageConfig{
		"tenant-page-cache": {TenantPageCache: -1},
		"tenant-mmap":       {TenantMmap: -1},
		"max-open-tenants":  {MaxOpenTenants: -1},
	} {
		if err := bad.checkTenantMemory(); strongroom.ErrorField(err) != flag {
			t.Errorf("%+v: %v, want an error naming %s", bad, err, flag)
		}
	}
}
