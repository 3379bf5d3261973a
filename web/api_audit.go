package web

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// auditRoutes registers the audit trail's pages, downloads and JSON API.
// Every one needs read access to the audit area; anyone else gets 403 and
// no data.
func (h *Handler) auditRoutes() {
	page := func(pattern string, fn authFunc) {
		h.mux.Handle(pattern, h.page(h.pageAuthed(requireAudit(fn), false)))
	}
	pre := "GET /t/{slug}/audit"
	page(pre, h.auditListPage)
	page(pre+"/events/{seq}", h.auditEventPage)
	page(pre+"/records/{type}/{id}", h.auditRecordPage)
	page(pre+"/export.csv", h.auditExport("csv"))
	page(pre+"/export.jsonl", h.auditExport("jsonl"))
	page(pre+"/checkpoint", h.auditCheckpointDownload)
	page(pre+"/proof/{seq}", h.auditProofDownload)
	page(pre+"/verifier-key", h.auditVerifierKeyText)

	api := func(pattern string, fn authFunc) { h.mux.Handle(pattern, h.page(h.authed(requireAudit(fn), false))) }
	pre = "GET /api/v1/t/{slug}/audit"
	api(pre+"/events", h.apiAuditEvents)
	api(pre+"/events/{seq}", h.apiAuditEvent)
	api(pre+"/records/{type}/{id}", h.apiAuditRecord)
	api(pre+"/export.csv", h.auditExport("csv"))
	api(pre+"/export.jsonl", h.auditExport("jsonl"))
	api(pre+"/checkpoint", h.apiAuditCheckpoint)
	api(pre+"/proof/{seq}", h.apiAuditProof)
	api(pre+"/verifier-key", h.apiAuditVerifierKey)
	api(pre+"/verify", h.apiAuditVerify)
}

// requireAudit refuses, before anything is read, principals who may not
// read the audit area.
func requireAudit(fn authFunc) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		if err := p.Subject.Require(access.Audit, access.Read); err != nil {
			return err
		}
		return fn(w, r, t, p)
	}
}

// auditSeq reads the event number in the URL.
func auditSeq(r *http.Request) (int64, error) {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		return 0, strongroom.FieldError("seq", "An audit event number is a whole number from 1.")
	}
	return seq, nil
}

// recordFilter is the filter of a record's history: the query's paging
// (and any other filter) for the record in the URL.
func recordFilter(r *http.Request) (auditFilter, error) {
	q := r.URL.Query()
	q.Set("object_type", r.PathValue("type"))
	q.Set("object_id", r.PathValue("id"))
	return parseAuditFilter(q)
}

func writeAuditPage(w http.ResponseWriter, page *auditPage) error {
	events := make([]any, 0, len(page.Items))
	for _, it := range page.Items {
		events = append(events, it.json())
	}
	out := map[string]any{"events": events}
	if page.Next > 0 {
		out["next_before_seq"] = page.Next
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) apiAuditEvents(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	f, err := parseAuditFilter(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := readAudit(r.Context(), t, p.Subject, f)
	if err != nil {
		return err
	}
	return writeAuditPage(w, page)
}

func (h *Handler) apiAuditRecord(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	f, err := recordFilter(r)
	if err != nil {
		return err
	}
	page, err := readAudit(r.Context(), t, p.Subject, f)
	if err != nil {
		return err
	}
	return writeAuditPage(w, page)
}

func (h *Handler) apiAuditEvent(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	seq, err := auditSeq(r)
	if err != nil {
		return err
	}
	it, err := readAuditEvent(r.Context(), t, p.Subject, seq)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"event": it.json()})
}

func (h *Handler) apiAuditCheckpoint(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	note, err := t.Audit.LatestCheckpoint(r.Context())
	if err != nil {
		return err
	}
	key, err := t.Audit.VerifierKey(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"checkpoint": note, "verifier_key": key})
}

func (h *Handler) apiAuditVerifierKey(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	key, err := t.Audit.VerifierKey(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"verifier_key": key, "origin": t.Audit.Origin()})
}

// auditProof returns the proof bundle of event seq. A bundle holds the
// event's stored bytes, so it is refused for an event the reader may not
// read.
func auditProof(r *http.Request, t *tenancy.Handle, p *identity.Principal) (int64, []byte, error) {
	seq, err := auditSeq(r)
	if err != nil {
		return 0, nil, err
	}
	it, err := readAuditEvent(r.Context(), t, p.Subject, seq)
	if err != nil {
		return 0, nil, err
	}
	if it.Redacted {
		return 0, nil, strongroom.Errorf(strongroom.EFORBIDDEN, "You may not read audit event %d, so you may not have its proof: the proof holds the event.", seq)
	}
	bundle, err := t.Audit.Proof(r.Context(), seq)
	return seq, bundle, err
}

func (h *Handler) apiAuditProof(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	_, bundle, err := auditProof(r, t, p)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(append(bundle, '\n'))
	return err
}

// apiAuditVerify recomputes the whole tree: administrators only.
func (h *Handler) apiAuditVerify(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	rep, err := t.Audit.Verify(r.Context())
	if err != nil {
		return err
	}
	problems := rep.Problems
	if problems == nil {
		problems = []string{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"ok": rep.OK(), "events": rep.Events,
		"checkpoints": rep.Checkpoints, "first_bad_seq": rep.FirstBadSeq, "problems": problems})
}

// Downloads for the pages.

// attachment sets the headers of a file download.
func attachment(w http.ResponseWriter, contentType, name string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
}

func (h *Handler) auditCheckpointDownload(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	note, err := t.Audit.LatestCheckpoint(r.Context())
	if err != nil {
		return err
	}
	attachment(w, "text/plain; charset=utf-8", t.Tenant.Slug+"-audit-checkpoint.txt")
	_, err = w.Write([]byte(note))
	return err
}

func (h *Handler) auditProofDownload(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	seq, bundle, err := auditProof(r, t, p)
	if err != nil {
		return err
	}
	attachment(w, "application/json", fmt.Sprintf("%s-audit-proof-%d.json", t.Tenant.Slug, seq))
	_, err = w.Write(append(bundle, '\n'))
	return err
}

func (h *Handler) auditVerifierKeyText(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	key, err := t.Audit.VerifierKey(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write([]byte(key + "\n"))
	return err
}

// Exports.

// auditCSVHeader names the columns of a CSV export; changes, details and
// personal values are JSON in their cells.
var auditCSVHeader = []string{"seq", "time", "actor_kind", "actor_id", "source_ip", "action", "object_type",
	"object_id", "subject", "redacted", "erased", "changes", "details", "personal"}

// auditExport writes every event the filter selects (limit is ignored),
// newest first, as CSV or JSON Lines. The export itself is recorded first,
// as an "audit.export" event; it and later events are not in the file.
func (h *Handler) auditExport(format string) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		f, err := parseAuditFilter(r.URL.Query())
		if err != nil {
			return err
		}
		exportSeq, err := recordAuditExport(r, t, p, format, f)
		if err != nil {
			return err
		}
		if f.BeforeSeq == 0 || f.BeforeSeq > exportSeq {
			f.BeforeSeq = exportSeq
		}
		f.Limit = auditMaxPage
		page, err := readAudit(r.Context(), t, p.Subject, f)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("%s-audit-%s.%s", t.Tenant.Slug, time.Now().UTC().Format("20060102T150405Z"), format)
		var out auditWriter
		if format == "csv" {
			attachment(w, "text/csv; charset=utf-8", name)
			out = newAuditCSV(w)
		} else {
			attachment(w, "application/x-ndjson", name)
			out = newAuditJSONL(w)
		}
		for {
			for _, it := range page.Items {
				out.write(it)
			}
			if page.Next == 0 {
				break
			}
			f.BeforeSeq = page.Next
			if page, err = readAudit(r.Context(), t, p.Subject, f); err != nil {
				// Half a file has gone out: cut the connection so that
				// the client sees a failed download, not a short one.
				h.log.Error("audit export failed", "tenant", t.Tenant.Slug, "err", err)
				panic(http.ErrAbortHandler)
			}
		}
		if err := out.flush(); err != nil {
			h.log.Warn("audit export not delivered", "tenant", t.Tenant.Slug, "err", err)
		}
		return nil
	}
}

// recordAuditExport writes the export's own audit event and returns its
// number. The filter is kept; it holds ids and names of actions, no
// personal data.
func recordAuditExport(r *http.Request, t *tenancy.Handle, p *identity.Principal, format string, f auditFilter) (int64, error) {
	details := map[string]string{"format": format}
	for name, v := range f.raw {
		if name != "limit" {
			details["filter_"+name] = v[0]
		}
	}
	var seq int64
	err := t.DB.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		seq, err = t.Audit.Append(r.Context(), tx, audit.Event{Actor: p.AuditActor(), SourceIP: clientIP(r),
			Action: "audit.export", ObjectType: "audit_log", Details: details})
		return err
	})
	return seq, err
}

// auditWriter writes exported events in one format.
type auditWriter interface {
	write(it auditItem)
	flush() error
}

type auditCSV struct{ w *csv.Writer }

func newAuditCSV(w http.ResponseWriter) *auditCSV {
	c := &auditCSV{csv.NewWriter(w)}
	c.w.Write(auditCSVHeader)
	return c
}

// write writes one row; an event its reader may not read has its number
// and redacted "true", every other cell empty.
func (c *auditCSV) write(it auditItem) {
	if it.Redacted {
		row := make([]string, len(auditCSVHeader))
		row[0], row[slices.Index(auditCSVHeader, "redacted")] = strconv.FormatInt(it.Seq, 10), "true"
		c.w.Write(row)
		return
	}
	e := it.full()
	js := func(v any) string {
		b, _ := jsonMarshal(v)
		return string(b)
	}
	c.w.Write([]string{strconv.FormatInt(e.Seq, 10), e.Time, cell(e.Actor.Kind), cell(e.Actor.ID), cell(e.SourceIP),
		cell(e.Action), cell(e.Object.Type), cell(e.Object.ID), cell(e.Subject), strconv.FormatBool(e.Redacted),
		strconv.FormatBool(e.Erased), js(e.Changes), js(e.Details), js(e.Personal)})
}

func (c *auditCSV) flush() error {
	c.w.Flush()
	return c.w.Error()
}

// cell keeps a spreadsheet from reading a value as a formula: one that
// starts with = + - @ or a control character gets a leading apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

type auditJSONL struct {
	bw  *bufio.Writer
	enc *json.Encoder
	err error
}

func newAuditJSONL(w http.ResponseWriter) *auditJSONL {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &auditJSONL{bw: bw, enc: enc}
}

func (j *auditJSONL) write(it auditItem) {
	if j.err == nil {
		j.err = j.enc.Encode(it.json()) // one line: Encode ends each value with a newline
	}
}

func (j *auditJSONL) flush() error {
	if j.err != nil {
		return j.err
	}
	return j.bw.Flush()
}
