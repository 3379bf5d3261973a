package web

// Reading a tenant's audit trail for people with the audit area: the
// filters, paging and redaction that every audit page, API call and export
// share. Events are selected with SQL over the indexed columns of
// audit_events (never over bodies, so no filter can search a field value)
// and decoded with audit.ParseEvent; personal values are opened through the
// log. Whether the reader may read an event is decided in the same query,
// by the access predicate (auditReadable); of an event about a record the
// reader may not see, only its number leaves the database.

import (
	"bytes"
	"context"
	"encoding/json"
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
	case audit.ActorUser, audit.ActorToken, audit.ActorOperator, audit.ActorSystem, audit.ActorSCIM:
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
	eq("e.actor_kind", f.ActorKind)
	eq("e.actor_id", f.ActorID)
	eq("e.action", f.Action)
	eq("e.object_type", f.ObjectType)
	eq("e.object_id", f.ObjectID)
	if !f.From.IsZero() {
		conds, args = append(conds, "e.at >= ?"), append(args, store.FormatTime(f.From))
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "e.at < ?"), append(args, store.FormatTime(f.To))
	}
	if f.BeforeSeq > 0 {
		conds, args = append(conds, "e.seq < ?"), append(args, f.BeforeSeq)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// selects reports whether f selects events by what they say (who, what,
// which record, when) rather than by number alone. A list selected so
// leaves out the events the reader may not read, as if they did not
// exist: were they listed, even withheld, the list would tell that a hidden
// record has events by that actor, of that action or at that time. A list
// by number alone shows them withheld, so that its numbering has no gaps.
func (f auditFilter) selects() bool {
	return f.ActorKind != "" || f.ActorID != "" || f.Action != "" || f.ObjectType != "" || f.ObjectID != "" ||
		!f.From.IsZero() || !f.To.IsZero()
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
	// only Seq is set. Its type, id, action, actor, source and time would
	// each tell something about a record that does not exist for the
	// reader; its number is kept so that the trail can be seen to be
	// whole. Times never go backwards, so the neighbours' times bound its
	// time anyway.
	Redacted bool
	// names are what the pages call the event's actor and object
	// (nameAudit); empty elsewhere.
	names auditNames
}

// auditPage is a page of events, newest first.
type auditPage struct {
	Items []auditItem
	// Next is the before_seq of the next, older page; 0 on the last page.
	Next int64
}

// auditEvents is audit_events with the id of the record each event is
// about as a number (NULL for an object id that is none), for the access
// predicate to match against record_classes.
const auditEvents = ` FROM (SELECT seq, at, actor_kind, actor_id, action, object_type, object_id, body,
	CASE WHEN object_id <> '' AND LENGTH(object_id) <= 18 AND LTRIM(object_id, '0123456789') = ''
	THEN CAST(object_id AS BIGINT) END AS record_id FROM audit_events) e`

// auditReadable is the condition that s may read event e: an event about
// a record (any cases.RecordTypes type) only when the audit area's
// predicate admits the record, so the record's classes decide as they do
// everywhere; any other event (users, roles, settings, sign-ins) for
// everyone with the audit area.
func auditReadable(s *access.Subject) access.Predicate {
	types := cases.RecordTypes()
	var p access.Predicate
	for _, t := range types {
		p.Args = append(p.Args, string(t))
	}
	conds := []string{"e.object_type NOT IN (" + store.Placeholders(len(types)) + ")"}
	for _, t := range types {
		rp := s.Predicate(access.Audit, access.Read, string(t), "e.record_id")
		conds = append(conds, "(e.object_type = ? AND "+rp.SQL+")")
		p.Args = append(append(p.Args, string(t)), rp.Args...)
	}
	p.SQL = "(" + strings.Join(conds, " OR ") + ")"
	return p
}

// queryAudit reads the events that rest (WHERE, ORDER BY, LIMIT over e)
// selects: the body of each event s may read, nil for the others. Nothing
// of an event s may not read leaves the database but its number.
func queryAudit(ctx context.Context, t *tenancy.Handle, s *access.Subject, rest string, args ...any) ([]int64, [][]byte, error) {
	readable := auditReadable(s)
	q := `SELECT e.seq, CASE WHEN ` + readable.SQL + ` THEN e.body END` + auditEvents + rest
	rows, err := t.DB.QueryContext(ctx, q, append(slices.Clone(readable.Args), args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("read audit events of %s: %w", t.Tenant.Slug, err)
	}
	defer rows.Close()
	var seqs []int64
	var bodies [][]byte
	for rows.Next() {
		var seq int64
		var body []byte
		if err := rows.Scan(&seq, &body); err != nil {
			return nil, nil, fmt.Errorf("read audit events of %s: %w", t.Tenant.Slug, err)
		}
		seqs, bodies = append(seqs, seq), append(bodies, body)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read audit events of %s: %w", t.Tenant.Slug, err)
	}
	return seqs, bodies, nil
}

// readAudit returns the page of events that f selects, as s may see them.
func readAudit(ctx context.Context, t *tenancy.Handle, s *access.Subject, f auditFilter) (*auditPage, error) {
	where, args := f.where()
	if f.selects() {
		readable := auditReadable(s)
		where += " AND " + readable.SQL
		args = append(args, readable.Args...)
	}
	seqs, bodies, err := queryAudit(ctx, t, s, where+` ORDER BY e.seq DESC LIMIT ?`, append(args, f.Limit+1)...)
	if err != nil {
		return nil, err
	}
	page := &auditPage{}
	if len(seqs) > f.Limit {
		seqs, bodies = seqs[:f.Limit], bodies[:f.Limit]
		page.Next = seqs[len(seqs)-1]
	}
	if page.Items, err = presentAudit(ctx, t, seqs, bodies); err != nil {
		return nil, err
	}
	return page, nil
}

// readAuditEvent returns event seq as s may see it.
func readAuditEvent(ctx context.Context, t *tenancy.Handle, s *access.Subject, seq int64) (*auditItem, error) {
	seqs, bodies, err := queryAudit(ctx, t, s, ` WHERE e.seq = ?`, seq)
	if err != nil {
		return nil, err
	}
	if len(seqs) == 0 {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "There is no audit event %d.", seq)
	}
	items, err := presentAudit(ctx, t, seqs, bodies)
	if err != nil {
		return nil, err
	}
	return &items[0], nil
}

// presentAudit decodes the events read, opening their personal values (all
// sealed values belong to an event with a subject); an event without a
// body is one its reader may not read.
func presentAudit(ctx context.Context, t *tenancy.Handle, seqs []int64, bodies [][]byte) ([]auditItem, error) {
	items := make([]auditItem, len(seqs))
	var readable [][]byte
	var at []int
	for i, seq := range seqs {
		if bodies[i] == nil {
			items[i] = auditItem{Redacted: true, Event: audit.Event{Seq: seq}}
			continue
		}
		readable, at = append(readable, bodies[i]), append(at, i)
	}
	opened, err := t.Audit.OpenBodies(ctx, readable)
	if err != nil {
		return nil, fmt.Errorf("read audit events of %s: %w", t.Tenant.Slug, err)
	}
	for j, e := range opened {
		items[at[j]] = auditItem{Event: e}
	}
	return items, nil
}

// auditEventJSON is an event as the API, JSON Lines exports and CSV
// exports (flattened) show it.
type auditEventJSON struct {
	Seq      int64             `json:"seq"`
	Time     string            `json:"time"`
	Actor    auditActorJSON    `json:"actor"`
	SourceIP string            `json:"source_ip"`
	Action   string            `json:"action"`
	Object   auditObjectJSON   `json:"object"`
	Redacted bool              `json:"redacted"` // always false: see auditWithheldJSON
	Subject  string            `json:"subject,omitempty"`
	Changes  []auditChangeJSON `json:"changes"`
	Details  map[string]string `json:"details"`
	Personal map[string]string `json:"personal"`
	// Erased: the subject's personal values were erased on request.
	Erased bool `json:"erased"`
}

// auditWithheldJSON is an event its reader may not read: its number and
// "redacted": true, nothing else.
type auditWithheldJSON struct {
	Seq      int64 `json:"seq"`
	Redacted bool  `json:"redacted"`
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

// json returns the event as the API shows it: an auditEventJSON, or an
// auditWithheldJSON for an event its reader may not read.
func (it auditItem) json() any {
	if it.Redacted {
		return auditWithheldJSON{Seq: it.Seq, Redacted: true}
	}
	return it.full()
}

func (it auditItem) full() auditEventJSON {
	out := auditEventJSON{Seq: it.Seq, Time: it.Time.UTC().Format(time.RFC3339Nano),
		Actor: auditActorJSON{it.Actor.Kind, it.Actor.ID}, SourceIP: it.SourceIP, Action: it.Action,
		Object: auditObjectJSON{it.ObjectType, it.ObjectID}, Subject: it.SubjectID, Erased: it.Erased,
		Changes: []auditChangeJSON{}, Details: map[string]string{}, Personal: map[string]string{}}
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

// ISOTime is the event's exact time, for the machine-readable datetime
// of a <time> element.
func (it auditItem) ISOTime() string { return it.Time.UTC().Format(time.RFC3339Nano) }

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
		parts = append(parts, auditFieldLabel(c.Field))
	}
	if len(parts) > 0 {
		return "Changed " + strings.Join(parts, ", ")
	}
	for _, d := range it.DetailList() {
		parts = append(parts, d.Name+": "+d.Value)
	}
	return strings.Join(parts, "; ")
}

// auditDiff is one changed field as a page shows it: Field is its label.
type auditDiff struct {
	Field, Before, After string
	Personal             bool
}

// Diffs returns the changed fields with their values as text. Personal
// values of an erased subject are gone and show as such.
func (it auditItem) Diffs() []auditDiff {
	var out []auditDiff
	for _, c := range it.Changes {
		d := auditDiff{Field: auditFieldLabel(c.Field), Before: it.changedValue(c.Field, c.Before), After: it.changedValue(c.Field, c.After), Personal: c.Personal}
		if c.Personal && it.Erased {
			d.Before, d.After = "(erased)", "(erased)"
		}
		out = append(out, d)
	}
	return out
}

// auditPair is a name and a value, in name order.
type auditPair struct{ Name, Value string }

// DetailList returns the details by label, sorted by name.
func (it auditItem) DetailList() []auditPair { return sortedPairs(it.Details) }

// PersonalList returns the personal values by label, sorted by name.
func (it auditItem) PersonalList() []auditPair { return sortedPairs(it.Personal) }

func sortedPairs(m map[string]string) []auditPair {
	out := make([]auditPair, 0, len(m))
	for k, v := range m {
		out = append(out, auditPair{auditFieldLabel(k), v})
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
