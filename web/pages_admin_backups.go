package web

import (
	"fmt"
	"net/http"
	"time"

	"strongroom/backup/drill"
	"strongroom/identity"
	"strongroom/tenancy"
)

// backupsView is the data of Administration → Backups: one row a target.
type backupsView struct {
	Targets []backupTargetView
}

type backupTargetView struct {
	drill.TargetStatus
	// Size and the durations written for people (the times are formatted
	// in the template, in the tenant's zone).
	Size, OKDuration, FailedDuration string
}

func (h *Handler) backupsPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	st, err := h.backupStatus(r, t, p)
	if err != nil {
		return err
	}
	f := h.formatter(t)
	page := backupsView{}
	for _, s := range st {
		tv := backupTargetView{TargetStatus: s}
		if s.LastBackup != nil {
			tv.Size = sizeWords(s.LastBackup.Size, f.Number)
		}
		if s.LastOK != nil {
			tv.OKDuration = durationWords(s.LastOK.Duration)
		}
		if s.LastFailed != nil {
			tv.FailedDuration = durationWords(s.LastFailed.Duration)
		}
		page.Targets = append(page.Targets, tv)
	}
	v := newView(r, t, p)
	v.Page = page
	return h.render(w, http.StatusOK, "admin_backups", v)
}

// sizeWords writes a byte count in whole units (KiB, MiB, GiB), rounded up.
func sizeWords(n int64, number func(int64) string) string {
	for _, u := range []struct {
		unit  string
		shift uint
	}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if n >= 1<<u.shift {
			return number((n+1<<u.shift-1)>>u.shift) + " " + u.unit
		}
	}
	return number(n) + " B"
}

// durationWords writes how long a drill took: "850 ms", "42 s", "3 min 5 s".
func durationWords(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%d min %d s", int(d/time.Minute), int(d%time.Minute/time.Second))
}
