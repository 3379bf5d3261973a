package web

import (
	"html/template"
	"net/http"
	"strconv"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/documents"
	"strongroom/identity"
	"strongroom/tenancy"
)

// caseView is the page of one case: its details and records, or (the
// history tab) its audit events.
type caseView struct {
	*cases.CaseView
	sizes
	ClassNames    []string
	UserNames     []string
	Financial     []recordRow
	Notes         []recordRow
	ShowDocuments bool
	Documents     []documentRow
	MoreFinancial bool
	Can           map[string]bool // edit rights: case, financial, contacts, notes, events, documents
	// Tab is "" (the case) or "history"; ShowHistory says whether the
	// user has the audit area, which the history tab needs.
	Tab         string
	ShowHistory bool
	History     []historyRow
	Older       string // the next, older page of the history
}

// recordRow is a record with its class names and, for notes, its HTML.
type recordRow struct {
	Record  any
	Classes string
	HTML    template.HTML
}

// documentRow is a document of the case with the name of its uploader.
type documentRow struct {
	*documents.Document
	By string // "" when the user is not shown the firm's staff
}

// historyRow is an event of the case's history, with its actor's name.
type historyRow struct {
	auditItem
	Label, Actor, Detail string
}

func (h *Handler) casePage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	ctx := r.Context()
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cv, err := h.svc.Cases.ViewCase(ctx, t, p, id)
	if err != nil {
		return err
	}
	h.recordCaseView(ctx, t, p, id)
	classes, err := h.classNames(r, t, p)
	if err != nil {
		return err
	}
	people, err := h.svc.Cases.PeopleNames(ctx, t, p)
	if err != nil {
		return err
	}
	page := caseView{CaseView: cv, ClassNames: nameList(classes, cv.Case.Classes), UserNames: nameList(people, cv.Case.Responsible),
		ShowDocuments: p.Subject.Allowed(access.Documents, access.Read), ShowHistory: p.Subject.Allowed(access.Audit, access.Read),
		Can: map[string]bool{
			"case": p.Subject.Allowed(access.Cases, access.Edit), "financial": p.Subject.Allowed(access.Financial, access.Edit),
			"contacts": p.Subject.Allowed(access.Contacts, access.Edit), "notes": p.Subject.Allowed(access.Notes, access.Edit),
			"events": p.Subject.Allowed(cases.TypeEvent.Area(), access.Edit), "documents": p.Subject.Allowed(access.Documents, access.Edit)}}
	v := newView(r, t, p)
	v.Page = &page
	switch tab := r.URL.Query().Get("tab"); tab {
	case "":
	case "history":
		if err := p.Subject.Require(access.Audit, access.Read); err != nil {
			return err
		}
		page.Tab = tab
		return h.caseHistoryTab(w, r, t, p, &page, people, v)
	default:
		return strongroom.FieldError("tab", "There is no such tab; choose one of the case page's tabs.")
	}
	page.MoreFinancial = cv.More[cases.TypeFinancial]
	for _, f := range cv.Financial {
		page.Financial = append(page.Financial, recordRow{Record: f, Classes: names(classes, f.Classes, "")})
	}
	for _, n := range cv.Notes {
		html, err := cases.RenderMarkdown(n.Body)
		if err != nil {
			return err
		}
		// RenderMarkdown escapes raw HTML and keeps only safe links.
		page.Notes = append(page.Notes, recordRow{Record: n, Classes: names(classes, n.Classes, ""), HTML: template.HTML(html)})
	}
	if page.ShowDocuments {
		ds, err := h.svc.Documents.List(ctx, t, p, id)
		if err != nil {
			return err
		}
		for _, d := range ds {
			page.Documents = append(page.Documents, documentRow{Document: d, By: people[d.Current.CreatedBy]})
		}
	}
	return h.render(w, http.StatusOK, "case", v)
}

// caseHistoryTab shows the audit events of the case and its records that
// the user may read.
func (h *Handler) caseHistoryTab(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, page *caseView, people map[int64]string, v view) error {
	before, err := queryInt(r.URL.Query().Get("before_seq"), "before_seq")
	if err != nil || before < 0 {
		return strongroom.FieldError("before_seq", "Give the event number to page back from as a whole number from 1.")
	}
	res, err := readCaseHistory(r.Context(), t, p.Subject, page.Case.ID, before)
	if err != nil {
		return err
	}
	for _, it := range res.Items {
		row := historyRow{auditItem: it, Label: historyLabel(it), Actor: it.ActorText(), Detail: historyDetail(it)}
		if it.Actor.Kind == "user" {
			if uid, err := strconv.ParseInt(it.Actor.ID, 10, 64); err == nil && people[uid] != "" {
				row.Actor = people[uid]
			}
		}
		page.History = append(page.History, row)
	}
	if res.Next > 0 {
		page.Older = v.Path("cases/"+strconv.FormatInt(page.Case.ID, 10)) + "?tab=history&before_seq=" + strconv.FormatInt(res.Next, 10)
	}
	return h.render(w, http.StatusOK, "case", v)
}

// classNames maps the ids of the classes the user may be shown to names.
func (h *Handler) classNames(r *http.Request, t *tenancy.Handle, p *identity.Principal) (map[int64]string, error) {
	cs, err := h.svc.Cases.ClassChoices(r.Context(), t, p)
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for _, c := range cs {
		out[c.ID] = c.Name
	}
	return out, nil
}

// nameList names the ids that m knows, in order.
func nameList(m map[int64]string, ids []int64) []string {
	var out []string
	for _, id := range ids {
		if n, ok := m[id]; ok {
			out = append(out, n)
		}
	}
	return out
}
