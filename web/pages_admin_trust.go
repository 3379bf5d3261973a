package web

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/netpolicy"
	"strongroom/sso"
	"strongroom/store"
	"strongroom/tenancy"
	"strongroom/trust"
)

// The audit trail's word for making a trust report.
func init() {
	actionLabels["trust.report"] = "Made the trust report"
}

// maxCheckpointPaste bounds a pasted or uploaded checkpoint: a few hundred bytes each.
const maxCheckpointPaste = 16 << 10

// trustRoutes registers the tenant's trust report: its page for
// administrators and its JSON API. Administrators only.
func (h *Handler) trustRoutes() {
	h.mux.Handle("GET /api/v1/t/{slug}/trust-report", h.page(h.authed(h.apiTrustReport, false)))
	page := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.pageAuthed(fn, false))) }
	page("GET /t/{slug}/admin/trust", h.trustPage)
	page("POST /t/{slug}/admin/trust", h.trustSubmit)
	page("GET /t/{slug}/admin/trust/report.json", h.trustDownload)
	page("GET /t/{slug}/admin/trust/checkpoint.txt", h.trustCheckpoint)
}

// trustReport builds and signs the tenant's report, audited as
// trust.report. checkpoint is one the administrator kept, or nil.
func (h *Handler) trustReport(ctx context.Context, t *tenancy.Handle, p *identity.Principal, since time.Time, checkpoint []byte) (*trust.Report, []byte, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, nil, err
	}
	in := trust.Inputs{Since: since, Checkpoint: checkpoint, TLS: h.cfg.TrustTLS}
	if in.TLS.Mode == "" {
		in.TLS = trust.TLSSection{Mode: "not stated by this server", CipherSuites: []string{}}
	}
	var idp *identity.Settings
	if s, err := h.identity.Settings(ctx, t, p); err == nil {
		idp = &s
	}
	np, sp := h.trustNetPolicy(ctx, t, p), h.trustSSO(ctx, t, p)
	in.Policies = trust.PolicySettings(idp, np, sp)
	in.Backups = h.trustBackups(ctx, t)
	var rep *trust.Report
	// The report is made first, then its making is audited: the event is
	// in the next report.
	rep, err := trust.Build(store.WithTimeout(ctx, 0), t.Tenant.Slug, t.Audit, in)
	if err != nil {
		return nil, nil, err
	}
	signed, err := trust.Sign(rep, t.Audit)
	if err != nil {
		return nil, nil, err
	}
	err = t.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := t.Audit.Append(ctx, tx, audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: "trust.report",
			ObjectType: "tenant", ObjectID: t.Tenant.Slug})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return rep, signed, nil
}

func (h *Handler) trustNetPolicy(ctx context.Context, t *tenancy.Handle, p *identity.Principal) *netpolicy.Policy {
	if h.svc.NetPolicy == nil {
		return nil
	}
	pol, err := h.svc.NetPolicy.Get(ctx, t, p)
	if err != nil {
		return nil
	}
	return pol
}

func (h *Handler) trustSSO(ctx context.Context, t *tenancy.Handle, p *identity.Principal) *sso.Policy {
	if h.svc.SSO == nil {
		return nil
	}
	pol, err := h.svc.SSO.GetPolicy(ctx, t, p)
	if err != nil {
		return nil
	}
	return pol
}

func (h *Handler) trustBackups(ctx context.Context, t *tenancy.Handle) trust.BackupSection {
	b := trust.BackupSection{Targets: []trust.BackupTarget{}}
	if h.svc.Backups == nil {
		b.Notes = "This server has no backup target configured."
		return b
	}
	st, err := h.svc.Backups.Status(ctx, t.Tenant.Slug)
	if err != nil {
		b.Notes = "The backup status could not be read now."
		return b
	}
	var drill time.Time
	for _, s := range st {
		bt := trust.BackupTarget{Name: targetName(s.Target), Detail: "no backup recorded"}
		if lb := s.LastBackup; lb != nil {
			bt.LastBackup = rfc3339(lb.Started)
			bt.OK = lb.Status == "completed"
			bt.Detail = lb.Status
			if !lb.Verified.IsZero() {
				bt.Detail += ", verified " + rfc3339(lb.Verified)
			}
		}
		if s.LastOK != nil && s.LastOK.Started.After(drill) {
			drill = s.LastOK.Started
		}
		b.Targets = append(b.Targets, bt)
	}
	if !drill.IsZero() {
		b.LastDrill, b.DrillOK = rfc3339(drill), true
	} else {
		b.Notes = "No restore drill has succeeded yet."
	}
	return b
}

// trustSince reads ?since=YYYY-MM-DD (default: 90 days ago).
func trustSince(r *http.Request) (time.Time, error) {
	s := r.URL.Query().Get("since")
	if r.Method == http.MethodPost && r.PostForm.Get("since") != "" {
		s = r.PostForm.Get("since")
	}
	if s == "" {
		return time.Now().AddDate(0, 0, -90).Truncate(24 * time.Hour), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, strongroom.FieldError("since", "The date is a day, YYYY-MM-DD.")
	}
	return t, nil
}

// trustPageView is what the Trust report page shows.
type trustPageView struct {
	Report *trust.Report
	Since  string
}

func (h *Handler) renderTrust(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, checkpoint []byte, formErr error) error {
	since, err := trustSince(r)
	if err != nil {
		return err
	}
	rep, _, err := h.trustReport(r.Context(), t, p, since, checkpoint)
	if err != nil {
		return err
	}
	v := newView(r, t, p)
	v.Page = trustPageView{Report: rep, Since: since.Format("2006-01-02")}
	if formErr != nil {
		return h.renderForm(w, "admin_trust", v, formErr, "checkpoint")
	}
	return h.render(w, http.StatusOK, "admin_trust", v)
}

func (h *Handler) trustPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	return h.renderTrust(w, r, t, p, nil, nil)
}

func (h *Handler) trustSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	cp, err := postedCheckpoint(w, r)
	if err != nil {
		return h.renderTrust(w, r, t, p, nil, err)
	}
	return h.renderTrust(w, r, t, p, cp, nil)
}

// postedCheckpoint reads the checkpoint an administrator kept: the file
// they chose (checkpoint_file) or, without one, the text they pasted
// (checkpoint). The form comes as multipart (the page's, with its file
// field) or URL-encoded (pasted text alone, from a script).
func postedCheckpoint(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	missing := strongroom.FieldError("checkpoint", "Choose the checkpoint file you kept (checkpoint.txt), or paste its text.")
	var cp string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		if err := r.ParseMultipartForm(maxFormBody); err != nil { // #nosec G120 -- the body is bounded by MaxBytesReader on the line above
			return nil, strongroom.Errorf(strongroom.EINVALID, "The form could not be read; send it again.")
		}
		defer r.MultipartForm.RemoveAll()
		if f, _, err := r.FormFile("checkpoint_file"); err == nil {
			b, err := io.ReadAll(io.LimitReader(f, maxCheckpointPaste+1))
			f.Close()
			if err != nil {
				return nil, strongroom.Errorf(strongroom.EINVALID, "The file could not be read; send it again.")
			}
			if !utf8.Valid(b) {
				return nil, strongroom.FieldError("checkpoint", "That file is not a checkpoint: choose the checkpoint.txt you downloaded from this page.")
			}
			cp = string(b)
		}
	} else if err := parseForm(w, r); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cp) == "" {
		cp = r.PostFormValue("checkpoint")
	}
	cp = strings.ReplaceAll(cp, "\r\n", "\n")
	if strings.TrimSpace(cp) == "" {
		return nil, missing
	}
	if len(cp) > maxCheckpointPaste {
		return nil, strongroom.FieldError("checkpoint", "That is too long for a checkpoint: choose the checkpoint.txt you downloaded from this page.")
	}
	if !strings.HasSuffix(cp, "\n") {
		cp += "\n"
	}
	return []byte(cp), nil
}

func (h *Handler) trustDownload(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	since, err := trustSince(r)
	if err != nil {
		return err
	}
	_, signed, err := h.trustReport(r.Context(), t, p, since, nil)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="trust-report-`+t.Tenant.Slug+`.json"`)
	_, err = w.Write(append(signed, '\n'))
	return err
}

func (h *Handler) trustCheckpoint(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	cp, _, err := t.Audit.LatestWitnessed(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="checkpoint-`+t.Tenant.Slug+`.txt"`)
	_, err = w.Write([]byte(cp))
	return err
}

func (h *Handler) apiTrustReport(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	since, err := trustSince(r)
	if err != nil {
		return err
	}
	_, signed, err := h.trustReport(r.Context(), t, p, since, nil)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(append(signed, '\n'))
	return err
}
