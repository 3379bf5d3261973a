package web

import (
	"context"
	"strconv"
	"strings"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/tenancy"
)

// caseHistoryPage is how many events the history tab of a case shows at once.
const caseHistoryPage = 50

// caseHistoryCond selects the events about a case and about the records in
// it (documents, financial records, contacts, notes, events), soft-deleted
// ones included: their history outlives them until they are purged. The
// object id is matched as text so that the index on (object_type,
// object_id) serves it.
func caseHistoryCond(caseID int64) (string, []any) {
	id := strconv.FormatInt(caseID, 10)
	conds := []string{"(e.object_type = ? AND e.object_id = ?)"}
	args := []any{string(cases.TypeCase), id}
	for _, t := range cases.RecordTypes()[1:] {
		conds = append(conds, "(e.object_type = ? AND e.object_id IN (SELECT CAST(r.id AS TEXT) FROM "+t.Table()+" r WHERE r.case_id = ?))")
		args = append(args, string(t), caseID)
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}

// readCaseHistory returns a page of the history of a case, newest first,
// as s may see it: through the audit trail's own read path, with the events
// about records s may not read left out altogether (a selecting list, see
// auditFilter.selects), so that a hidden record's history is not there at
// all. beforeSeq pages back (0: from the newest).
func readCaseHistory(ctx context.Context, t *tenancy.Handle, s *access.Subject, caseID, beforeSeq int64) (*auditPage, error) {
	cond, args := caseHistoryCond(caseID)
	readable := auditReadable(s)
	where := " WHERE " + cond + " AND " + readable.SQL
	args = append(args, readable.Args...)
	if beforeSeq > 0 {
		where += " AND e.seq < ?"
		args = append(args, beforeSeq)
	}
	seqs, bodies, err := queryAudit(ctx, t, s, where+" ORDER BY e.seq DESC LIMIT ?", append(args, caseHistoryPage+1)...)
	if err != nil {
		return nil, err
	}
	page := &auditPage{}
	if len(seqs) > caseHistoryPage {
		seqs, bodies = seqs[:caseHistoryPage], bodies[:caseHistoryPage]
		page.Next = seqs[len(seqs)-1]
	}
	if page.Items, err = presentAudit(ctx, t, seqs, bodies); err != nil {
		return nil, err
	}
	return page, nil
}

// historyVerbs say what an action did, for the history tab.
var historyVerbs = map[string]string{
	"create": "created", "update": "changed", "delete": "deleted", "download": "downloaded",
	"purge": "removed for good", "import": "imported",
}

// historyNouns name the records a case's history is about.
var historyNouns = map[string]string{
	"case": "Case", "document": "Document", "financial": "Financial record", "contact": "Contact",
	"note": "Note", "event": "Event",
}

// historyLabel says in words what an event did: "Note changed".
func historyLabel(it auditItem) string {
	typ, verb, _ := strings.Cut(it.Action, ".")
	noun, ok := historyNouns[typ]
	if !ok {
		noun = strings.ToUpper(typ[:min(1, len(typ))]) + typ[min(1, len(typ)):]
	}
	if v, ok := historyVerbs[verb]; ok {
		return noun + " " + v
	}
	return noun + " " + strings.ReplaceAll(verb, "_", " ")
}

// historyDetail says what an event is about in a few words: a new record
// by its title (or description, name or number), a change by the fields it
// changed, anything else by its details.
func historyDetail(it auditItem) string {
	if strings.HasSuffix(it.Action, ".create") {
		for _, field := range []string{"title", "description", "name", "number"} {
			for _, c := range it.Changes {
				if s, ok := c.After.(string); ok && c.Field == field && s != "" && !(c.Personal && it.Erased) {
					return "“" + s + "”"
				}
			}
		}
	}
	return it.Summary()
}
