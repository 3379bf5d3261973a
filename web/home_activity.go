package web

import (
	"context"
	"strconv"
	"strings"

	"strongroom/access"
	"strongroom/cases"
	"strongroom/format"
	"strongroom/home"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// activity is an audit event in one of the user's cases, as the start
// page shows it.
type activity struct {
	auditItem
	// Mine: the user did it.
	Mine bool
	// Case is the case the event is about, when it is about a case.
	Case *home.Case
}

// What says what happened in words: "Note created", "Case changed".
func (a activity) What() string {
	object, verb, _ := strings.Cut(a.Action, ".")
	done := map[string]string{"create": "created", "update": "changed", "delete": "deleted", "restore": "restored",
		"purge": "purged", "download": "downloaded", "export": "exported"}[verb]
	if done == "" {
		done = strings.ReplaceAll(verb, "_", " ")
	}
	return format.Words(object) + " " + done
}

// Who names the actor for the reader: "You", or the actor as the audit
// trail names it.
func (a activity) Who() string {
	if a.Mine {
		return "You"
	}
	return a.ActorText()
}

// myActivity reads the newest events about the cases ids and the records
// in them, through the audit trail's own read path: only events the
// reader may read (the audit area, and the record's classes) are read at
// all, and none about a record hidden from them. Without the audit area
// there is no activity to show.
func (h *Handler) myActivity(ctx context.Context, t *tenancy.Handle, p *identity.Principal, mine []home.Case, limit int) ([]activity, error) {
	if len(mine) == 0 || !p.Subject.Allowed(access.Audit, access.Read) {
		return nil, nil
	}
	byID := map[string]*home.Case{}
	ids := make([]int64, len(mine))
	for i := range mine {
		ids[i] = mine[i].ID
		byID[strconv.FormatInt(mine[i].ID, 10)] = &mine[i]
	}
	// Events name their object by its id as text: matching that column
	// lets the database use its index on (object_type, object_id).
	in := store.Placeholders(len(ids))
	var idTexts, idNums []any
	for _, id := range ids {
		idTexts, idNums = append(idTexts, strconv.FormatInt(id, 10)), append(idNums, id)
	}
	var conds []string
	var args []any
	for _, rt := range cases.RecordTypes() {
		if rt == cases.TypeCase {
			conds = append(conds, "(e.object_type = ? AND e.object_id IN ("+in+"))")
			args = append(append(args, string(rt)), idTexts...)
			continue
		}
		conds = append(conds, "(e.object_type = ? AND e.object_id IN (SELECT CAST(x.id AS TEXT) FROM "+rt.Table()+
			" x WHERE x.case_id IN ("+in+")))")
		args = append(append(args, string(rt)), idNums...)
	}
	readable := auditReadable(p.Subject)
	rest := " WHERE (" + strings.Join(conds, " OR ") + ") AND " + readable.SQL + " ORDER BY e.seq DESC LIMIT ?"
	args = append(append(args, readable.Args...), limit)
	seqs, bodies, err := queryAudit(ctx, t, p.Subject, rest, args...)
	if err != nil {
		return nil, err
	}
	items, err := presentAudit(ctx, t, seqs, bodies)
	if err != nil {
		return nil, err
	}
	// People by name, as the audit trail names them (through the same
	// predicate: a hidden case is never named).
	if err := nameAudit(ctx, t, p.Subject, items); err != nil {
		return nil, err
	}
	me := strconv.FormatInt(p.User.ID, 10)
	out := make([]activity, 0, len(items))
	for _, it := range items {
		if it.Redacted { // not selected above; never shown
			continue
		}
		a := activity{auditItem: it, Mine: it.Actor.Kind == "user" && it.Actor.ID == me}
		if it.ObjectType == string(cases.TypeCase) {
			a.Case = byID[it.ObjectID]
		}
		out = append(out, a)
	}
	return out, nil
}
