package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"strongroom/backup/drill"
	"strongroom/identity"
	"strongroom/tenancy"
)

// What a tenant's administrators see of its backups: per target (by its
// redacted name, never a credential) the last backup, the last successful
// restore drill and the last failed one when it is newer. The page and the
// API read the same thing.

// BackupStatus reads a tenant's backups and drills (drill.Service).
type BackupStatus interface {
	Status(ctx context.Context, slug string) ([]drill.TargetStatus, error)
}

// backupStatus checks that p administers the tenant, then reads the
// status of the tenant's own backups, and of no other tenant's.
func (h *Handler) backupStatus(r *http.Request, t *tenancy.Handle, p *identity.Principal) ([]drill.TargetStatus, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	if h.svc.Backups == nil {
		return nil, nil // a server with no backup target: nothing to show
	}
	st, err := h.svc.Backups.Status(r.Context(), t.Tenant.Slug)
	for i := range st {
		st[i].Target = targetName(st[i].Target)
	}
	return st, err
}

// targetName is a target as a tenant's administrator sees it: its
// redacted name without the query, whose parameters (endpoint, region,
// key ids) are the operator's business.
func targetName(redacted string) string {
	name, _, _ := strings.Cut(redacted, "?")
	return name
}

func (h *Handler) apiBackups(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	st, err := h.backupStatus(r, t, p)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(st))
	for _, s := range st {
		o := map[string]any{"target": s.Target}
		if b := s.LastBackup; b != nil {
			lb := map[string]any{"id": b.ID, "started_at": rfc3339(b.Started), "status": b.Status, "size": b.Size}
			if !b.Verified.IsZero() {
				lb["verified_at"] = rfc3339(b.Verified)
			}
			if b.Error != "" {
				lb["error"] = b.Error
			}
			o["last_backup"] = lb
		}
		if d := s.LastOK; d != nil {
			o["last_successful_drill"] = drillJSON(d)
		}
		if d := s.LastFailed; d != nil {
			o["last_failed_drill"] = drillJSON(d)
		}
		out = append(out, o)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"targets": out})
}

func drillJSON(d *drill.Record) map[string]any {
	o := map[string]any{"backup_id": d.BackupID, "started_at": rfc3339(d.Started),
		"duration_ms": d.Duration.Milliseconds(), "result": "ok", "bytes": d.Bytes}
	if !d.BackupTime.IsZero() {
		o["backup_time"] = rfc3339(d.BackupTime)
	}
	if !d.OK {
		o["result"], o["part"], o["error"] = "failed", d.Part, d.Error
	}
	return o
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// backupRoutes registers the Backups page and its API.
func (h *Handler) backupRoutes() {
	handle := func(pattern string, fn handlerFunc) { h.mux.Handle(pattern, h.page(fn)) }
	handle("GET /api/v1/t/{slug}/backups", h.authed(h.apiBackups, false))
	handle("GET /t/{slug}/admin/backups", h.pageAuthed(h.backupsPage, false))
}

// backupOps describes GET backups.
func (d *apiDocBuilder) backupOps() {
	const tag = "Administration"
	drillSchema := func(desc string) *schema {
		return object(desc,
			f("backup_id", str("The backup restored (empty when none could be listed).")),
			f("backup_time?", timestamp("When that backup was taken.")),
			f("started_at", timestamp("When the drill started.")),
			f("duration_ms", integer("How long the restore and its checks took.")),
			f("result", enum("", "ok", "failed")),
			f("bytes", integer("The backup's size on the target.")),
			f("part?", str("What failed: a part of the backup (data part, table cases, audit trail …) or listing.")),
			f("error?", str("Why, as safe text.")))
	}
	target := object("One backup target.",
		f("target", str("The target's address (scheme, bucket or directory, path) without credentials or parameters.")),
		f("last_backup?", object("The newest backup copy on the target.",
			f("id", str("")), f("started_at", timestamp("")), f("status", enum("", "completed", "failed")),
			f("size", integer("Bytes written to the target.")), f("verified_at?", timestamp("When the copy was read back and checked.")),
			f("error?", str("Why the copy failed, as safe text.")))),
		f("last_successful_drill?", drillSchema("The newest restore drill that passed.")),
		f("last_failed_drill?", drillSchema("The newest restore drill that failed, when newer than the last that passed.")))
	d.op("GET", "backups", tag, "Backups and restore drills").
		describe("Administrators only. Per backup target: the last backup of this workspace, the last restore drill that passed (its newest backup restored into a scratch location and checked: database integrity, row counts against the manifest, the audit trail) and the last that failed, when newer. No credential or secret is shown.").
		ok(200, "", object("", f("targets", arrayOf(target, "In the server's order of targets."))))
}
