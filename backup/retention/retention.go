// Package retention decides which backups a target keeps: every backup of
// the last hours, then the newest of each of the last days, weeks and
// months (grandfather-father-son), counted back from now in the tenant's
// time zone; everything older goes from every target. The newest good
// backup of a target is never given up, however old, so a target that was
// unreachable for a year still holds something to restore.
package retention

import (
	"sort"
	"time"

	"strongroom"
)

// Policy is the operator's retention setting.
type Policy struct {
	KeepAll time.Duration // every backup younger than this is kept (48h)
	Days    int           // the newest backup of each of the last Days calendar days (7)
	Weeks   int           // … of each of the last Weeks ISO weeks, Monday to Sunday (5)
	Months  int           // … of each of the last Months calendar months (13)
}

// Default is the retention the product promises: 48 hours, 7 days, 5 weeks,
// 13 months.
var Default = Policy{KeepAll: 48 * time.Hour, Days: 7, Weeks: 5, Months: 13}

// Check reports a policy that would keep nothing or keep backups past the
// promised 13 months.
func (p Policy) Check() error {
	var probs strongroom.Problems
	if p.KeepAll < 0 || p.KeepAll > 31*24*time.Hour {
		probs.Addf("backup-keep-all", "Keep every backup for between 0 and 31 days.")
	}
	if p.Days < 0 || p.Days > 62 {
		probs.Addf("backup-keep-days", "Keep between 0 and 62 daily backups.")
	}
	if p.Weeks < 0 || p.Weeks > 26 {
		probs.Addf("backup-keep-weeks", "Keep between 0 and 26 weekly backups.")
	}
	if p.Months < 1 || p.Months > 13 {
		probs.Addf("backup-keep-months", "Keep between 1 and 13 monthly backups: backups are never kept past 13 months.")
	}
	return probs.Err()
}

// Backup is one backup on one target, as retention sees it.
type Backup struct {
	ID string
	At time.Time
}

// Reason says why a backup is kept.
type Reason string

const (
	Recent  Reason = "recent"  // within KeepAll
	Daily   Reason = "daily"   // newest of its day
	Weekly  Reason = "weekly"  // newest of its week
	Monthly Reason = "monthly" // newest of its month
	Newest  Reason = "newest"  // the target's newest backup, kept whatever its age
)

// Decide splits the completed backups of one target into those to keep
// (with the first reason that keeps each) and those to delete, oldest
// first. now is the decision's clock, loc the tenant's time zone.
func (p Policy) Decide(now time.Time, loc *time.Location, backups []Backup) (keep map[string]Reason, remove []Backup) {
	if loc == nil {
		loc = time.UTC
	}
	sorted := append([]Backup(nil), backups...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].At.After(sorted[j].At) }) // newest first
	keep = map[string]Reason{}
	mark := func(b Backup, r Reason) {
		if _, ok := keep[b.ID]; !ok {
			keep[b.ID] = r
		}
	}
	if len(sorted) > 0 {
		mark(sorted[0], Newest)
	}
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	week := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7)) // Monday
	month := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc)
	buckets := []struct {
		reason Reason
		n      int
		start  func(i int) time.Time // start of the i-th period back (0: the current one)
	}{
		{Daily, p.Days, func(i int) time.Time { return today.AddDate(0, 0, -i) }},
		{Weekly, p.Weeks, func(i int) time.Time { return week.AddDate(0, 0, -7*i) }},
		{Monthly, p.Months, func(i int) time.Time { return month.AddDate(0, -i, 0) }},
	}
	for _, b := range sorted {
		if !b.At.After(now) && now.Sub(b.At) < p.KeepAll {
			mark(b, Recent)
		}
	}
	for _, bk := range buckets {
		for i := 0; i < bk.n; i++ {
			from, to := bk.start(i), bk.start(i-1)
			if i == 0 {
				to = now.Add(time.Nanosecond)
			}
			// sorted is newest first: the first inside the period is its newest.
			for _, b := range sorted {
				if !b.At.Before(from) && b.At.Before(to) {
					mark(b, bk.reason)
					break
				}
			}
		}
	}
	for i := len(sorted) - 1; i >= 0; i-- {
		if _, ok := keep[sorted[i].ID]; !ok {
			remove = append(remove, sorted[i])
		}
	}
	return keep, remove
}

// Expired splits short-lived backups (the per-subject key store) into those
// to keep — younger than maxAge, and always the newest — and those to
// delete, oldest first.
func Expired(now time.Time, maxAge time.Duration, backups []Backup) (remove []Backup) {
	var newest *Backup
	for i := range backups {
		if newest == nil || backups[i].At.After(newest.At) {
			newest = &backups[i]
		}
	}
	for _, b := range backups {
		if now.Sub(b.At) >= maxAge && b.ID != newest.ID {
			remove = append(remove, b)
		}
	}
	sort.SliceStable(remove, func(i, j int) bool { return remove[i].At.Before(remove[j].At) })
	return remove
}
