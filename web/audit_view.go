package web

// Reading a tenant's audit trail for people with the audit area: the
// filters, paging and redaction that every audit page, API call and export
// share. Events are selected with SQL over the indexed columns of
// audit_events (never over bodies, so no filter can search a field value)
// and decoded with audit.ParseEvent; personal values are opened through the
// log. An event about a record the reader may not read keeps only what
// shows that it happened.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/cases"
	"strongroom/store"
	"strongroom/tenancy"
)

const (
	auditPageSize = 100 // events per page unless limit says otherwise
	auditMaxPage  = 500
	// auditMaxText bounds a text filter; ids and action names are short.
	auditMaxText = 200
)

// auditFilterFields are the query parameters of an event list, in the
// order of the filter form.
var auditFilterFields = []string{"actor", "action", "object_type", "object_id", "from", "to", "before_seq", "limit"}

// auditRecordTypes are the object types of events about records, the
// things security classes protect. An event about one of these, or about
// anything that has rows in record_classes, is shown only to readers who
// may see the record (access.Subject.CanSee); other events (users, roles,
// settings, sign-ins) are shown to everyone with the audit area.
var auditRecordTypes = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range cases.RecordTypes() {
		m[string(t)] = true
	}
	return m
}()

// auditFilter selects events: every field that is set must match.
type auditFilter struct {
	ActorKind, ActorID   string
	Action               string
	ObjectType, ObjectID string
	From, To             time.Time // From inclusive, To exclusive; zero: open
	BeforeSeq            int64     // only events numbered below; 0: from the newest
	Limit                int
	// raw holds the parameters as given (trimmed), for links and for the
	// record of an export.
	raw url.Values
}

// parseAuditFilter reads the filter parameters of q. Bad input is an
// EINVALID error naming the parameter.
func parseAuditFilter(q url.Values) (auditFilter, error) {
	f := auditFilter{Limit: auditPageSize, raw: url.Values{}}
	for _, name := range auditFilterFields {
		v := strings.TrimSpace(q.Get(name))
		if len(v) > auditMaxText || !utf8.ValidString(v) {
			return f, strongroom.FieldError(name, "This filter is longer than %d characters.", auditMaxText)
		}
		if v != "" {
			f.raw.Set(name, v)
		}
	}
	var err error
	if s := f.raw.Get("actor"); s != "" {
		if f.ActorKind, f.ActorID, err = parseAuditActor(s); err != nil {
			return f, err
		}
	}
	f.Action, f.ObjectType, f.ObjectID = f.raw.Get("action"), f.raw.Get("object_type"), f.raw.Get("object_id")
	if f.From, err = parseAuditTime("from", f.raw.Get("from"), false); err != nil {
		return f, err
	}
	if f.To, err = parseAuditTime("to", f.raw.Get("to"), true); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return f, strongroom.FieldError("to", "The end of the time range must be after its start.")
	}
	if s := f.raw.Get("before_seq"); s != "" {
		if f.BeforeSeq, err = strconv.ParseInt(s, 10, 64); err != nil || f.BeforeSeq < 1 {
			return f, strongroom.FieldError("before_seq", "Give the event number to page back from as a whole number from 1.")
		}
	}
	if s := f.raw.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit < 1 || f.Limit > auditMaxPage {
			return f, strongroom.FieldError("limit", "Give a limit from 1 to %d events.", auditMaxPage)
		}
	}
	return f, nil
}

// parseAuditActor reads "user:42", "token:7", "operator:ID", "system",
// "anonymous", or a bare user id ("42").
func parseAuditActor(s string) (kind, id string, err error) {
	if _, nerr := strconv.ParseUint(s, 10, 63); nerr == nil {
		return audit.ActorUser, s, nil
	}
	kind, id, _ = strings.Cut(s, ":")
	switch kind {
	case audit.ActorUser, audit.ActorToken, audit.ActorOperator, audit.ActorSystem:
		return kind, id, nil
	case audit.ActorAnonymous:
		if id == "" {
			return kind, "", nil
		}
	}
	return "", "", strongroom.FieldError("actor", "Give the actor as user:ID, token:ID, operator:ID, system or anonymous (a bare number is a user id).")
}

// auditTimeLayouts are the forms a time filter may take; times without a
// zone are UTC.
var auditTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"}

// parseAuditTime reads a time filter. A bare date as the end of a range
// includes that whole day.
func parseAuditTime(name, s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range auditTimeLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if end && layout == "2006-01-02" {
			t = t.AddDate(0, 0, 1)
		}
		return t.UTC(), nil
	}
	return time.Time{}, strongroom.FieldError(name, "Give a date (2006-01-02) or a time (2006-01-02T15:04:05Z).")
}

// where renders the filter as a parameterised WHERE clause.
func (f auditFilter) where() (string, []any) {
	var conds []string
	var args []any
	eq := func(col, v string) {
		if v != "" {
			conds = append(conds, col+" = ?")
			args = append(args, v)
		}
	}
	eq("actor_kind", f.ActorKind)
	eq("actor_id", f.ActorID)
	eq("action", f.Action)
	eq("object_type", f.ObjectType)
	eq("object_id", f.ObjectID)
	if !f.From.IsZero() {
		conds, args = append(conds, "at >= ?"), append(args, store.FormatTime(f.From))
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "at < ?"), append(args, store.FormatTime(f.To))
	}
	if f.BeforeSeq > 0 {
		conds, args = append(conds, "seq < ?"), append(args, f.BeforeSeq)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// query returns the filter's parameters with before_seq replaced (0:
// left out), for links to other pages of the same list.
func (f auditFilter) query(beforeSeq int64) url.Values {
	q := url.Values{}
	for k, v := range f.raw {
		q[k] = slices.Clone(v)
	}
	q.Del("before_seq")
	if beforeSeq > 0 {
		q.Set("before_seq", strconv.FormatInt(beforeSeq, 10))
	}
	return q
}

// auditItem is one event as its reader may see it.
type auditItem struct {
	audit.Event
	// Redacted is set on an event about a record the reader may not read:
	// it keeps when, who, what action and which record, and drops the
	// changes, details and personal values.
	Redacted bool
}

// auditPage is a page of events, newest first.
type auditPage struct {
	Items []auditItem
	// Next is the before_seq of the next, older page; 0 on the last page.
	Next int64
}

// readAudit returns the page of events that f selects, as s may see them.
func readAudit(ctx context.Context, t *tenancy.Handle, s *access.Subject, f auditFilter) (*auditPage, error) {
	where, args := f.where()
	rows, err := t.DB.QueryContext(ctx, `SELECT body FROM audit_events`+where+` ORDER BY seq DESC LIMIT ?`,
		append(args, f.Limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("read audit events of %s: %w", t.Tenant.Slug, err)
	}
	var events []audit.Event
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read audit events of %s: %w", t.Tenant.Slug, err)
		}
		e, err := audit.ParseEvent(body)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read audit events of %s: %w", t.Tenant.Slug, err)
		}
		events = append(events, e)
	}
	// Closed before the next queries: SQLite's read pool is small.
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit events of %s: %w", t.Tenant.Slug, err)
	}
	page := &auditPage{}
	if len(events) > f.Limit {
		events = events[:f.Limit]
		page.Next = events[len(events)-1].Seq
	}
	if page.Items, err = presentAudit(ctx, t, s, events); err != nil {
		return nil, err
	}
	return page, nil
}

// readAuditEvent returns event seq as s may see it.
func readAuditEvent(ctx context.Context, t *tenancy.Handle, s *access.Subject, seq int64) (*auditItem, error) {
	var body []byte
	err := t.DB.QueryRowContext(ctx, `SELECT body FROM audit_events WHERE seq = ?`, seq).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "There is no audit event %d.", seq)
	} else if err != nil {
		return nil, fmt.Errorf("read audit event %d of %s: %w", seq, t.Tenant.Slug, err)
	}
	e, err := audit.ParseEvent(body)
	if err != nil {
		return nil, fmt.Errorf("read audit event %d of %s: %w", seq, t.Tenant.Slug, err)
	}
	items, err := presentAudit(ctx, t, s, []audit.Event{e})
	if err != nil {
		return nil, err
	}
	return &items[0], nil
}

// presentAudit redacts the events about records s may not read and opens
// the personal values of the others (all sealed values belong to an event
// with a subject).
func presentAudit(ctx context.Context, t *tenancy.Handle, s *access.Subject, events []audit.Event) ([]auditItem, error) {
	classes, err := auditRecordClasses(ctx, t.DB, events)
	if err != nil {
		return nil, err
	}
	items := make([]auditItem, len(events))
	for i, e := range events {
		cs, classified := classes[recordKeyOf(e)]
		if (classified || auditRecordTypes[e.ObjectType]) && !s.CanSee(access.Audit, access.Read, cs) {
			items[i] = auditItem{Redacted: true, Event: audit.Event{Seq: e.Seq, Time: e.Time, Actor: e.Actor,
				SourceIP: e.SourceIP, Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID}}
			continue
		}
		if e.SubjectID != "" {
			opened, err := t.Audit.Events(ctx, e.Seq-1, 1)
			if err != nil {
				return nil, err
			}
			if len(opened) != 1 || opened[0].Seq != e.Seq {
				return nil, fmt.Errorf("audit log of %s: event %d vanished while read", t.Tenant.Slug, e.Seq)
			}
			e = opened[0]
		}
		items[i] = auditItem{Event: e}
	}
	return items, nil
}

// recordKey names a record in record_classes.
type recordKey struct {
	typ string
	id  int64
}

// recordKeyOf returns the record an event is about ({"", 0}: none that
// can carry classes, whose ids are numbers).
func recordKeyOf(e audit.Event) recordKey {
	id, err := strconv.ParseInt(e.ObjectID, 10, 64)
	if e.ObjectType == "" || err != nil {
		return recordKey{}
	}
	return recordKey{e.ObjectType, id}
}

// auditClassChunk bounds the ids in one IN list.
const auditClassChunk = 200

// auditRecordClasses returns the security classes of the records events
// are about; a record with no entry carries none.
func auditRecordClasses(ctx context.Context, db *store.DB, events []audit.Event) (map[recordKey][]int64, error) {
	ids := map[string][]int64{}
	seen := map[recordKey]bool{}
	for _, e := range events {
		k := recordKeyOf(e)
		if k.typ != "" && !seen[k] {
			seen[k] = true
			ids[k.typ] = append(ids[k.typ], k.id)
		}
	}
	out := map[recordKey][]int64{}
	for typ, all := range ids {
		for chunk := range slices.Chunk(all, auditClassChunk) {
			q := `SELECT record_id, class_id FROM record_classes WHERE record_type = ? AND record_id IN (` +
				store.Placeholders(len(chunk)) + `)`
			args := []any{typ}
			for _, id := range chunk {
				args = append(args, id)
			}
			if err := scanRecordClasses(ctx, db, q, args, typ, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func scanRecordClasses(ctx context.Context, db *store.DB, q string, args []any, typ string, out map[recordKey][]int64) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read record classes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, class int64
		if err := rows.Scan(&id, &class); err != nil {
			return fmt.Errorf("read record classes: %w", err)
		}
		k := recordKey{typ, id}
		out[k] = append(out[k], class)
	}
	return rows.Err()
}

// auditEventJSON is an event as the API, JSON Lines exports and CSV
// exports (flattened) show it. A redacted event has no subject, changes,
// details or personal values.
type auditEventJSON struct {
	Seq      int64             `json:"seq"`
	Time     string            `json:"time"`
	Actor    auditActorJSON    `json:"actor"`
	SourceIP string            `json:"source_ip"`
	Action   string            `json:"action"`
	Object   auditObjectJSON   `json:"object"`
	Redacted bool              `json:"redacted"`
	Subject  string            `json:"subject,omitempty"`
	Changes  []auditChangeJSON `json:"changes"`
	Details  map[string]string `json:"details"`
	Personal map[string]string `json:"personal"`
	// Erased: the subject's personal values were erased on request.
	Erased bool `json:"erased"`
}

type auditActorJSON struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

type auditObjectJSON struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type auditChangeJSON struct {
	Field    string `json:"field"`
	Before   any    `json:"before"`
	After    any    `json:"after"`
	Personal bool   `json:"personal"`
}

func (it auditItem) json() auditEventJSON {
	out := auditEventJSON{Seq: it.Seq, Time: it.Time.UTC().Format(time.RFC3339Nano),
		Actor: auditActorJSON{it.Actor.Kind, it.Actor.ID}, SourceIP: it.SourceIP, Action: it.Action,
		Object: auditObjectJSON{it.ObjectType, it.ObjectID}, Redacted: it.Redacted,
		Changes: []auditChangeJSON{}, Details: map[string]string{}, Personal: map[string]string{}}
	if it.Redacted {
		return out
	}
	out.Subject, out.Erased = it.SubjectID, it.Erased
	for _, c := range it.Changes {
		out.Changes = append(out.Changes, auditChangeJSON{c.Field, c.Before, c.After, c.Personal})
	}
	for k, v := range it.Details {
		out.Details[k] = v
	}
	for k, v := range it.Personal {
		out.Personal[k] = v
	}
	return out
}

// What the pages show of an event.

// TimeText is the event's time for people, in UTC.
func (it auditItem) TimeText() string { return it.Time.UTC().Format("2006-01-02 15:04:05 MST") }

// ActorText names the actor: "user 42", "system", "anonymous".
func (it auditItem) ActorText() string {
	if it.Actor.ID == "" {
		return it.Actor.Kind
	}
	return it.Actor.Kind + " " + it.Actor.ID
}

// ActorFilter is the actor as the actor filter takes it.
func (it auditItem) ActorFilter() string {
	if it.Actor.ID == "" {
		return it.Actor.Kind
	}
	return it.Actor.Kind + ":" + it.Actor.ID
}

// RecordPath is the path of the record's history under audit/records/.
func (it auditItem) RecordPath() string {
	if it.ObjectType == "" || it.ObjectID == "" {
		return ""
	}
	return url.PathEscape(it.ObjectType) + "/" + url.PathEscape(it.ObjectID)
}

// Summary lists the changed fields, or else the details, in a line.
func (it auditItem) Summary() string {
	if it.Redacted {
		return ""
	}
	var parts []string
	for _, c := range it.Changes {
		parts = append(parts, c.Field)
	}
	if len(parts) > 0 {
		return "changed " + strings.Join(parts, ", ")
	}
	for _, d := range it.DetailList() {
		parts = append(parts, d.Name+": "+d.Value)
	}
	return strings.Join(parts, "; ")
}

// auditDiff is one changed field as a page shows it.
type auditDiff struct {
	Field, Before, After string
	Personal             bool
}

// Diffs returns the changed fields with their values as text. Personal
// values of an erased subject are gone and show as such.
func (it auditItem) Diffs() []auditDiff {
	var out []auditDiff
	for _, c := range it.Changes {
		d := auditDiff{Field: c.Field, Before: auditValue(c.Before), After: auditValue(c.After), Personal: c.Personal}
		if c.Personal && it.Erased {
			d.Before, d.After = "(erased)", "(erased)"
		}
		out = append(out, d)
	}
	return out
}

// auditPair is a name and a value, in name order.
type auditPair struct{ Name, Value string }

// DetailList returns the details sorted by name.
func (it auditItem) DetailList() []auditPair { return sortedPairs(it.Details) }

// PersonalList returns the personal values sorted by name.
func (it auditItem) PersonalList() []auditPair { return sortedPairs(it.Personal) }

func sortedPairs(m map[string]string) []auditPair {
	out := make([]auditPair, 0, len(m))
	for k, v := range m {
		out = append(out, auditPair{k, v})
	}
	slices.SortFunc(out, func(a, b auditPair) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// auditValue renders a changed value: text as it is, nothing as empty,
// anything else as JSON.
func auditValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	b, err := jsonMarshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// jsonMarshal is json.Marshal without HTML escaping: values are shown as
// typed, and pages escape them when rendered.
func jsonMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
