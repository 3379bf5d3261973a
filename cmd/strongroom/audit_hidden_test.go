package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// auditRecord is a record of the hidden-records fixture with the classes
// it carries, its own or inherited from its case.
type auditRecord struct {
	typ     string
	id      int64
	classes []int64
	// secret is in the record's text: no answer to someone who may not
	// see the record may hold it.
	secret string
	// number is a case's number: the audit pages name a case by it, but
	// never a case the reader may not see.
	number string
}

func (r auditRecord) path() string { return fmt.Sprintf("%s/%d", r.typ, r.id) }

// auditHiddenWorld is the demo tenant with a case carrying class A and an
// unclassified one, each holding one record of every type (inheriting the
// case's classes), and a record with its own class B in the open case.
type auditHiddenWorld struct {
	*caseWorld
	records []auditRecord
	// event is every record event as the administrator, who holds both
	// classes, sees it: seq → the record it is about.
	event map[int64]auditRecord
}

func newAuditHiddenWorld(t *testing.T, w *caseWorld) *auditHiddenWorld {
	a := w.admin
	hw := &auditHiddenWorld{caseWorld: w, event: map[int64]auditRecord{}}
	var secret string
	add := func(typ string, id int64, classes ...int64) {
		hw.records = append(hw.records, auditRecord{typ: typ, id: id, classes: classes, secret: secret})
	}
	fill := func(c map[string]any, classes ...int64) {
		caseID := num(c["id"])
		add("case", caseID, classes...)
		hw.records[len(hw.records)-1].number = c["number"].(string)
		fin := csObj(a.must("POST", fmt.Sprintf("cases/%d/financial", caseID), map[string]any{"kind": "fee", "amount": "12.00",
			"currency": "EUR", "occurred_on": "2026-01-01", "description": secret + " fee"}), "financial_record")
		add("financial", num(fin["id"]), classes...)
		note := csObj(a.must("POST", fmt.Sprintf("cases/%d/notes", caseID), map[string]any{"title": secret + " note", "body": "x"}), "note")
		add("note", num(note["id"]), classes...)
		ev := csObj(a.must("POST", fmt.Sprintf("cases/%d/events", caseID), map[string]any{"kind": "deadline",
			"title": secret + " deadline", "due_on": "2026-04-01"}), "event")
		add("event", num(ev["id"]), classes...)
		ct := csObj(a.must("POST", fmt.Sprintf("cases/%d/contacts", caseID), map[string]any{"kind": "person",
			"name": secret + " witness", "email": "witness@example.com", "role": "witness"}), "contact")
		add("contact", num(ct["id"]), classes...)
		status, body := a.upload(fmt.Sprintf("cases/%d/documents", caseID), filePart{name: "title", value: secret + " memo"},
			filePart{name: "file", filename: "memo.txt", contentType: "text/plain", value: "memo words"})
		if status != http.StatusCreated {
			t.Fatalf("upload: %d %s", status, body)
		}
		add("document", num(csObj(csDecode(t, body), "document")["id"]), classes...)
		// An update and a deletion, so that histories hold more than a creation.
		a.must("PUT", fmt.Sprintf("events/%d", num(ev["id"])), map[string]any{"done": true, "version": 1})
		a.must("DELETE", fmt.Sprintf("notes/%d?version=1", num(note["id"])), nil)
		a.must("PUT", fmt.Sprintf("cases/%d", caseID), map[string]any{"status": "pending", "version": 1})
	}
	secret = "Secret-of-class-A"
	fill(csObj(a.must("POST", "cases", map[string]any{"title": secret + " case", "classes": []int64{w.classA}}), "case"), w.classA)
	secret = "Secret-of-no-class"
	openCase := csObj(a.must("POST", "cases", map[string]any{"title": secret + " case"}), "case")
	fill(openCase)
	open := num(openCase["id"])
	secret = "Secret-of-class-B"
	ownB := csObj(a.must("POST", fmt.Sprintf("cases/%d/financial", open), map[string]any{"kind": "fee", "amount": "1.00",
		"currency": "EUR", "occurred_on": "2026-01-02", "description": secret + " fee", "classes": []int64{w.classB}}), "financial_record")
	add("financial", num(ownB["id"]), w.classB)

	for _, e := range auditAll(t, a, "") {
		obj := e["object"].(map[string]any)
		for _, r := range hw.records {
			if obj["type"] == r.typ && obj["id"] == fmt.Sprint(r.id) {
				hw.event[num(e["seq"])] = r
			}
		}
	}
	for _, r := range hw.records {
		if len(auditAll(t, a, "object_type="+r.typ+"&object_id="+fmt.Sprint(r.id))) == 0 {
			t.Fatalf("the administrator sees no history of %s", r.path())
		}
	}
	return hw
}

// auditAll pages through an event list, 50 at a time.
func auditAll(t *testing.T, c *apiClient, query string) []map[string]any {
	t.Helper()
	var all []map[string]any
	q := query + "&limit=50"
	for range 10_000 {
		es, out := auditEvents(t, c, q)
		all = append(all, es...)
		next, ok := out["next_before_seq"]
		if !ok {
			return all
		}
		q = fmt.Sprintf("%s&limit=50&before_seq=%d", query, num(next))
	}
	t.Fatal("the event list does not end")
	return nil
}

// auditViewer is a reader of the trail and what is hidden from them.
type auditViewer struct {
	c       *apiClient
	sees    func(auditRecord) bool
	hidden  map[int64]bool // events on records hidden from them, by seq
	secrets []string       // of the records hidden from them
	numbers []string       // of the cases hidden from them
}

// leaks reports whether body holds text of a record hidden from v, or the
// number of a case hidden from them (as a whole word).
func (v *auditViewer) leaks(body string) bool {
	for _, s := range v.secrets {
		if strings.Contains(body, s) {
			return true
		}
	}
	for _, n := range v.numbers {
		if regexp.MustCompile(`(^|[^\w-])` + regexp.QuoteMeta(n) + `($|[^\w-])`).MatchString(body) {
			return true
		}
	}
	return false
}

// TestAuditHidesRecords checks that a record a reader may not see does not
// exist for them in the audit views: its history answers exactly as a
// missing record's, filters never select its events, and the whole trail
// shows each of its events only as a withheld number, in the API, the
// pages and both exports.
func TestAuditHidesRecords(t *testing.T) {
	forEachServerAtOnce(t, nil, func(t *testing.T, m *Main, adminTemp string) {
		admin := newAPIClient(t, m)
		admin.signIn("admin", adminTemp)
		hw := newAuditHiddenWorld(t, newCaseWorld(t, m, admin))
		for _, u := range []struct {
			name       string
			admin      bool
			restricted bool
			classes    []int64
		}{
			{"auditor without classes", false, false, nil},
			{"auditor with class B", false, false, []int64{hw.classB}},
			{"restricted auditor with class A", false, true, []int64{hw.classA}},
			{"restricted auditor without classes", false, true, nil},
			{"administrator with every class", true, false, []int64{hw.classA, hw.classB}},
		} {
			t.Run(u.name, func(t *testing.T) {
				v := &auditViewer{c: admin, hidden: map[int64]bool{}}
				if !u.admin {
					v.c = hw.user(t, map[string]string{"audit": "read"}, u.restricted, u.classes...)
				}
				v.sees = func(r auditRecord) bool {
					if len(r.classes) == 0 {
						return !u.restricted
					}
					for _, cl := range r.classes {
						if slices.Contains(u.classes, cl) {
							return true
						}
					}
					return false
				}
				for seq, r := range hw.event {
					if !v.sees(r) {
						v.hidden[seq] = true
					}
				}
				for _, r := range hw.records {
					if !v.sees(r) && !slices.Contains(v.secrets, r.secret) {
						v.secrets = append(v.secrets, r.secret)
					}
					if !v.sees(r) && r.number != "" {
						v.numbers = append(v.numbers, r.number)
					}
				}
				if u.admin != (len(v.hidden) == 0) {
					t.Fatalf("%d hidden events", len(v.hidden))
				}
				t.Run("history", func(t *testing.T) { testAuditHistories(t, hw, v) })
				t.Run("trail", func(t *testing.T) { testAuditTrail(t, hw, v) })
				t.Run("filters", func(t *testing.T) { testAuditFilters(t, hw, v) })
				t.Run("events", func(t *testing.T) { testAuditWithheldEvents(t, hw, v) })
			})
		}
	})
}

// testAuditHistories asks for the history of every record of the fixture,
// by the record route and by the filters, on every path: a hidden record
// answers byte for byte as a record that never existed.
func testAuditHistories(t *testing.T, hw *auditHiddenWorld, v *auditViewer) {
	c := v.c
	const missing = "987654"
	get := func(path string, page bool) (int, string) {
		if page {
			status, _, body := c.page(path)
			return status, body
		}
		return c.do("GET", path, nil)
	}
	for _, r := range hw.records {
		id := fmt.Sprint(r.id)
		for _, p := range []struct {
			path string
			page bool
		}{
			{"audit/records/" + r.typ + "/ID", false},
			{"audit/records/" + r.typ + "/ID", true},
			{"audit/events?object_type=" + r.typ + "&object_id=ID", false},
			{"audit?object_type=" + r.typ + "&object_id=ID", true},
			{"audit/export.csv?object_type=" + r.typ + "&object_id=ID", false},
			{"audit/export.jsonl?object_type=" + r.typ + "&object_id=ID", true},
		} {
			status, body := get(strings.ReplaceAll(p.path, "ID", id), p.page)
			if v.sees(r) {
				if status != 200 || !strings.Contains(body, r.typ+".") {
					t.Errorf("visible %s at %s: %d %s", r.path(), p.path, status, body)
				}
				if r.number != "" && p.page && strings.HasPrefix(p.path, "audit/records/") && !strings.Contains(body, "History of Case "+r.number) {
					t.Errorf("the history page of visible %s does not name it by its number %s", r.path(), r.number)
				}
				continue
			}
			ms, mb := get(strings.ReplaceAll(p.path, "ID", missing), p.page)
			if status != ms || body != strings.ReplaceAll(mb, missing, id) || v.leaks(body) {
				t.Errorf("hidden %s at %s: %d\n%s\nmissing: %d\n%s", r.path(), p.path, status, body, ms, mb)
			}
		}
	}
}

// testAuditTrail reads the whole trail, unfiltered, by the API, both
// exports and the page: numbering without a gap, each event on a hidden
// record shown as its number alone, every other event in full.
func testAuditTrail(t *testing.T, hw *auditHiddenWorld, v *auditViewer) {
	c, hidden := v.c, v.hidden
	withheld := func(where string, e map[string]any) {
		t.Helper()
		seq := num(e["seq"])
		if hidden[seq] {
			if want := map[string]any{"seq": float64(seq), "redacted": true}; !reflect.DeepEqual(e, want) {
				t.Errorf("%s: hidden event %d shows %v", where, seq, e)
			}
		} else if e["redacted"] != false || e["action"] == nil {
			t.Errorf("%s: event %d is withheld: %v", where, seq, e)
		}
	}
	contiguous := func(where string, seqs []int64) {
		t.Helper()
		for i, s := range seqs {
			if s != seqs[0]-int64(i) || (i == len(seqs)-1 && s != 1) {
				t.Fatalf("%s: numbering breaks at %d (%d events)", where, s, len(seqs))
			}
		}
	}
	var seqs []int64
	for _, e := range auditAll(t, c, "") {
		withheld("API", e)
		seqs = append(seqs, num(e["seq"]))
	}
	contiguous("API", seqs)

	status, body := c.do("GET", "audit/export.jsonl", nil)
	if status != 200 {
		t.Fatalf("JSONL: %d %s", status, body)
	}
	seqs = nil
	for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("JSONL line %q: %v", l, err)
		}
		withheld("JSONL", e)
		seqs = append(seqs, num(e["seq"]))
	}
	contiguous("JSONL", seqs)
	if v.leaks(body) {
		t.Error("JSONL export holds a hidden record's text")
	}

	status, body = c.do("GET", "audit/export.csv", nil)
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if status != 200 || err != nil {
		t.Fatalf("CSV: %d %v", status, err)
	}
	seqs = nil
	for _, row := range rows[1:] {
		var seq int64
		fmt.Sscan(row[0], &seq)
		seqs = append(seqs, seq)
		empty := slices.Clone(row)
		empty[0], empty[9] = "", ""
		if hidden[seq] != (row[9] == "true") || (hidden[seq] && strings.Join(empty, "") != "") || (!hidden[seq] && row[5] == "") {
			t.Errorf("CSV: event %d (hidden %v): %q", seq, hidden[seq], row)
		}
	}
	contiguous("CSV", seqs)
	if len(hidden) > 0 && !strings.Contains(body, ",true,") {
		t.Error("CSV: no withheld row")
	}

	status, _, page := c.page("audit?limit=500")
	if status != 200 || v.leaks(page) || v.leaks(body) {
		t.Fatalf("trail page: %d, holds a hidden record's text: %v", status, v.leaks(page))
	}
	for _, r := range hw.records {
		if r.number != "" && v.sees(r) && !strings.Contains(page, ">Case "+r.number+"<") {
			t.Errorf("trail page does not name visible case %d by its number %s", r.id, r.number)
		}
	}
	for seq := range hidden {
		if row := fmt.Sprintf("<tr><td>%d</td><td colspan=\"6\"><em>An event you may not read.</em></td></tr>", seq); !strings.Contains(page, row) {
			t.Errorf("trail page lacks the withheld row of event %d", seq)
		}
		if r := hw.event[seq]; strings.Contains(page, "audit/records/"+r.path()+`"`) {
			t.Errorf("trail page links to the history of hidden %s", r.path())
		}
	}
}

// testAuditFilters filters by action, actor, record type and time: the
// events selected are those the administrator's filter selects less the
// hidden ones, and none of them is withheld.
func testAuditFilters(t *testing.T, hw *auditHiddenWorld, v *auditViewer) {
	c, hidden := v.c, v.hidden
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, f := range []string{"action=case.update", "action=note.delete", "action=contact.create", "actor=user:1",
		"object_type=case", "object_type=document", "object_type=financial", "from=" + past + "&to=" + future} {
		var want, got []int64
		for _, e := range auditAll(t, hw.admin, f) {
			if seq := num(e["seq"]); !hidden[seq] {
				want = append(want, seq)
			}
		}
		for _, e := range auditAll(t, c, f) {
			got = append(got, num(e["seq"]))
			if e["redacted"] != false {
				t.Errorf("?%s selects a withheld event: %v", f, e)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("?%s: %v, want %v", f, got, want)
		}
		status, body := c.do("GET", "audit/export.jsonl?"+f, nil)
		if n := strings.Count(body, "\n"); status != 200 || n != len(want) || strings.Contains(body, `"redacted":true`) {
			t.Errorf("JSONL export of ?%s: %d, %d lines, want %d", f, status, n, len(want))
		}
		status, _, page := c.page("audit?limit=500&" + f)
		if status != 200 || strings.Contains(page, "may not read") || v.leaks(page) || v.leaks(body) {
			t.Errorf("page ?%s: %d, shows a withheld event or a secret", f, status)
		}
	}
}

// testAuditWithheldEvents asks for each hidden event by its number: the
// number is all there is, and its proof is refused.
func testAuditWithheldEvents(t *testing.T, hw *auditHiddenWorld, v *auditViewer) {
	c := v.c
	for seq := range v.hidden {
		status, body := c.do("GET", fmt.Sprintf("audit/events/%d", seq), nil)
		if want := fmt.Sprintf(`{"event":{"seq":%d,"redacted":true}}`, seq); status != 200 || strings.TrimSpace(body) != want {
			t.Errorf("event %d: %d %s, want %s", seq, status, body, want)
		}
		r := hw.event[seq]
		status, _, page := c.page(fmt.Sprintf("audit/events/%d", seq))
		if status != 200 || !strings.Contains(page, "An event you may not read") || strings.Contains(page, r.typ+".") ||
			strings.Contains(page, "audit/records/") || v.leaks(page) || strings.Contains(page, "UTC</td>") {
			t.Errorf("event page %d (%s): %d %s", seq, r.path(), status, page)
		}
		if status, body := c.do("GET", fmt.Sprintf("audit/proof/%d", seq), nil); status != 403 || v.leaks(body) {
			t.Errorf("proof of event %d: %d %s", seq, status, body)
		}
	}
}
