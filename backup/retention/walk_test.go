package retention_test

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"strongroom/backup/retention"
)

// target is one backup target in the walk: what it holds, and when it
// could not be reached.
type target struct {
	name    string
	held    map[string]time.Time
	written []retention.Backup // every backup ever written to it
	down    func(t time.Time) bool
}

func (tg *target) list() []retention.Backup {
	var bs []retention.Backup
	for id, at := range tg.held {
		bs = append(bs, retention.Backup{ID: id, At: at})
	}
	return bs
}

// TestRetentionWalk makes a backup every four hours (jittered) for two
// years to three targets — one unreachable for two months in the first
// year, one unreachable for the last fifteen months — runs retention every
// night at 03:00 in the tenant's time zone on every target it can reach,
// and checks exactly which backups survive on each against the promise
// computed independently: all of the last 48 hours, the newest of each of
// the last 7 days, 5 weeks and 13 months, and the newest a target has.
func TestRetentionWalk(t *testing.T) {
	loc, err := time.LoadLocation("America/New_York") // DST changes twice a year
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
	end := start.AddDate(2, 0, 0).Add(13 * time.Hour)
	targets := []*target{
		{name: "file", down: func(time.Time) bool { return false }},
		{name: "s3-a", down: func(t time.Time) bool {
			return !t.Before(start.AddDate(0, 6, 0)) && t.Before(start.AddDate(0, 8, 0))
		}},
		{name: "s3-b", down: func(t time.Time) bool {
			return !t.Before(start.AddDate(0, 9, 0)) && t.Before(start.AddDate(0, 23, 0))
		}},
	}
	for _, tg := range targets {
		tg.held = map[string]time.Time{}
	}
	policy := retention.Default
	jitter := func(n int) time.Duration { // the per-tenant phase plus a little noise
		h := fnv.New32a()
		fmt.Fprint(h, n)
		return 37*time.Minute + time.Duration(h.Sum32()%600)*time.Second
	}
	n := 0
	for at := start; !at.After(end); {
		backupAt := at.Add(jitter(n))
		id := fmt.Sprintf("b%05d", n)
		n++
		for _, tg := range targets {
			if !tg.down(backupAt) {
				tg.held[id] = backupAt
				tg.written = append(tg.written, retention.Backup{ID: id, At: backupAt})
			}
		}
		next := at.Add(4 * time.Hour)
		// The nightly retention run, if one falls before the next backup.
		night := time.Date(at.Year(), at.Month(), at.Day(), 3, 0, 0, 0, loc)
		if night.Before(at) {
			night = night.AddDate(0, 0, 1)
		}
		if night.Before(next) && !night.After(end) {
			for _, tg := range targets {
				if tg.down(night) {
					continue // cleaned when it returns
				}
				_, remove := policy.Decide(night, loc, tg.list())
				for _, b := range remove {
					delete(tg.held, b.ID)
				}
			}
		}
		at = next
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			lastRun := lastNight(end, loc)
			want := promised(lastRun, loc, tg.written)
			got := map[string]bool{}
			for id := range tg.held {
				if tg.held[id].After(lastRun) {
					continue // written after the last cleanup: kept until the next
				}
				got[id] = true
			}
			if d := diff(want, got, tg.held); d != "" {
				t.Fatalf("survivors differ from the promise at %s:\n%s", lastRun, d)
			}
			oldest := lastRun.AddDate(0, -13, 0)
			for id, at := range tg.held {
				if at.Before(oldest) && len(tg.held) > 1 && !isNewest(id, tg.held) {
					t.Errorf("%s of %s survives past 13 months", id, at)
				}
			}
			t.Logf("%s holds %d backups of %d written", tg.name, len(tg.held), len(tg.written))
		})
	}
}

// TestNewestIsNeverRemoved: a target that got nothing for twenty months
// (its writes failed, its listing and deletes work) keeps its newest backup
// and nothing else that old.
func TestNewestIsNeverRemoved(t *testing.T) {
	now := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	old := []retention.Backup{
		{ID: "a", At: now.AddDate(0, -21, 0)},
		{ID: "b", At: now.AddDate(0, -20, 0)},
	}
	keep, remove := retention.Default.Decide(now, time.UTC, old)
	if keep["b"] != retention.Newest || len(keep) != 1 || len(remove) != 1 || remove[0].ID != "a" {
		t.Fatalf("keep %v, remove %v", keep, remove)
	}
	if _, remove := retention.Default.Decide(now, time.UTC, nil); remove != nil {
		t.Fatalf("nothing to decide, yet remove %v", remove)
	}
}

func TestKeyStoreExpiry(t *testing.T) {
	now := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	var bs []retention.Backup
	for i := 0; i < 60; i++ {
		bs = append(bs, retention.Backup{ID: fmt.Sprint(i), At: now.AddDate(0, 0, -i)})
	}
	remove := retention.Expired(now, 35*24*time.Hour, bs)
	if len(remove) != 25 || remove[0].ID != "59" || remove[24].ID != "35" {
		t.Fatalf("removed %d: %v", len(remove), remove)
	}
	// Only old ones left: the newest stays.
	if remove := retention.Expired(now, 35*24*time.Hour, bs[40:]); len(remove) != 19 {
		t.Fatalf("removed %d of 20 old ones, want 19", len(remove))
	}
}

func TestPolicyCheck(t *testing.T) {
	if err := retention.Default.Check(); err != nil {
		t.Fatal(err)
	}
	bad := retention.Policy{KeepAll: -time.Hour, Days: 100, Weeks: 27, Months: 14}
	err := bad.Check()
	if err == nil || !strings.Contains(err.Error(), "backup-keep-all") {
		t.Fatalf("bad policy: %v", err)
	}
}

// lastNight is the last 03:00 in loc at or before t.
func lastNight(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	n := time.Date(l.Year(), l.Month(), l.Day(), 3, 0, 0, 0, loc)
	if n.After(t) {
		n = n.AddDate(0, 0, -1)
	}
	return n
}

// promised computes, without the package's code, which of the written
// backups the promise keeps at now: grouped by calendar keys in loc.
func promised(now time.Time, loc *time.Location, written []retention.Backup) map[string]bool {
	var bs []retention.Backup
	for _, b := range written {
		if !b.At.After(now) {
			bs = append(bs, b)
		}
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].At.After(bs[j].At) })
	keep := map[string]bool{}
	if len(bs) > 0 {
		keep[bs[0].ID] = true
	}
	l := now.In(loc)
	days, weeks, months := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i := 0; i < 7; i++ {
		days[time.Date(l.Year(), l.Month(), l.Day()-i, 12, 0, 0, 0, loc).Format("2006-01-02")] = true
	}
	for i := 0; i < 5; i++ {
		y, w := time.Date(l.Year(), l.Month(), l.Day()-7*i, 12, 0, 0, 0, loc).ISOWeek()
		weeks[fmt.Sprintf("%d-W%02d", y, w)] = true
	}
	for i := 0; i < 13; i++ {
		months[time.Date(l.Year(), l.Month()-time.Month(i), 1, 12, 0, 0, 0, loc).Format("2006-01")] = true
	}
	seen := map[string]bool{}
	for _, b := range bs { // newest first: the first of each key is its newest
		bl := b.At.In(loc)
		y, w := bl.ISOWeek()
		for _, key := range []string{"d" + bl.Format("2006-01-02"), fmt.Sprintf("w%d-W%02d", y, w), "m" + bl.Format("2006-01")} {
			if seen[key] {
				continue
			}
			seen[key] = true
			if (key[0] == 'd' && days[key[1:]]) || (key[0] == 'w' && weeks[key[1:]]) || (key[0] == 'm' && months[key[1:]]) {
				keep[b.ID] = true
			}
		}
		if now.Sub(b.At) < 48*time.Hour {
			keep[b.ID] = true
		}
	}
	return keep
}

func isNewest(id string, held map[string]time.Time) bool {
	for other, at := range held {
		if other != id && at.After(held[id]) {
			return false
		}
	}
	return true
}

func diff(want, got map[string]bool, at map[string]time.Time) string {
	var b strings.Builder
	for id := range want {
		if !got[id] {
			fmt.Fprintf(&b, "  missing %s\n", id)
		}
	}
	for id := range got {
		if !want[id] {
			fmt.Fprintf(&b, "  extra %s (%s)\n", id, at[id])
		}
	}
	return b.String()
}
