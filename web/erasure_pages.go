package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"strongroom"

	"strongroom/erasure"
	"strongroom/identity"
	"strongroom/tenancy"
)

// The administration pages of personal data: the people a firm holds data
// about, each with "Export personal data" (a JSON download, as the API
// gives it) and "Erase personal data" (a confirmation page of its own that
// states the consequence; only its button posts the erasure).

// personalDataView is the data of the personal data page.
type personalDataView struct {
	People []erasure.Person // this page of them
	Pager  pager
	Q      string // the find box: part of a name, e-mail or user name
	Kind   string // "", "contact" or "user"
	All    int    // people held, before the find box and kind
	Erased bool   // the page follows an erasure
}

// filterPeople keeps the people whose name or detail contains q (without
// regard to case) and who are of kind, when given. Names are sealed in the
// database, so the filter runs here, on the opened values.
func filterPeople(people []erasure.Person, q, kind string) []erasure.Person {
	q = strings.ToLower(q)
	var out []erasure.Person
	for _, p := range people {
		if kind != "" && p.Subject.Kind != kind {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(p.Name), q) && !strings.Contains(strings.ToLower(p.Detail), q) {
			continue
		}
		out = append(out, p)
	}
	return out
}

func (h *Handler) personalDataPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	svc, err := h.erasureService()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page := personalDataView{Q: strings.TrimSpace(q.Get("q")), Kind: q.Get("kind"), Erased: q.Get("erased") == "1"}
	var probs strongroom.Problems
	if page.Kind != "" && page.Kind != erasure.KindContact && page.Kind != erasure.KindUser {
		probs.Addf("kind", "Choose contacts, user accounts or both.")
	}
	if len(page.Q) > 200 {
		probs.Addf("q", "Search for at most 200 characters.")
	}
	n, err := pageNumber(q)
	probs.Add(err)
	if err := probs.Err(); err != nil {
		return err
	}
	people, err := svc.People(r.Context(), t, p)
	if err != nil {
		return err
	}
	page.All = len(people)
	found := filterPeople(people, page.Q, page.Kind)
	v := newView(r, t, p)
	if page.Pager, err = newPager(v, q, n, len(found)); err != nil {
		return err
	}
	if len(found) > 0 {
		page.People = found[page.Pager.First-1 : page.Pager.Last]
	}
	v.Page = page
	return h.render(w, http.StatusOK, "erasure", v)
}

func (h *Handler) personalDataExport(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	subj, x, err := h.subjectExport(r, t, p)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return fmt.Errorf("encode export of %s: %w", subj, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="personal-data-`+subj.Kind+`-`+r.PathValue("id")+`.json"`)
	_, err = w.Write(append(b, '\n'))
	return err
}

// personFor finds the person a page names among those the administrator
// may see; any other answers "not found".
func (h *Handler) personFor(r *http.Request, t *tenancy.Handle, p *identity.Principal) (*erasure.Person, error) {
	svc, err := h.erasureService()
	if err != nil {
		return nil, err
	}
	subj, err := pathSubject(r)
	if err != nil {
		return nil, err
	}
	people, err := svc.People(r.Context(), t, p)
	if err != nil {
		return nil, err
	}
	for i := range people {
		if people[i].Subject == subj {
			return &people[i], nil
		}
	}
	return nil, strongroom.Errorf(strongroom.ENOTFOUND, "Not found.")
}

func (h *Handler) erasePersonPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	who, err := h.personFor(r, t, p)
	if err != nil {
		return err
	}
	if who.Active {
		return h.renderConfirm(w, r, t, p, confirmView{Title: "Erase the personal data of user " + who.Name + "?",
			Consequence: []string{"This account is active. Disable it first (Administration → Users): an active account is never erased."},
			Action:      tenantPath(t, "admin/users/"+r.PathValue("id")+"/disable"), Button: "Disable the account",
			Cancel: tenantPath(t, "admin/personal-data")})
	}
	what := "contact"
	fields := "name, e-mail address, phone number, address and notes"
	links := fmt.Sprintf("Their part in %d %s you can see is removed from those cases.", who.Cases, countWord(who.Cases, "case", "cases"))
	if who.Subject.Kind == erasure.KindUser {
		what = "former user"
		fields = "display name and e-mail address"
		links = fmt.Sprintf("They are no longer named as responsible for the %d %s you can see; documents they uploaded stay, their uploader shown as [erased]; the account is closed for good (no user name, password or second factor).",
			who.Cases, countWord(who.Cases, "case", "cases"))
	}
	says := []string{
		"Their " + fields + " become unreadable everywhere: on every page, in the API, in exports and in every backup of this workspace, older ones included. This cannot be undone.",
		links,
		"Document titles, descriptions and file names, notes, events, financial descriptions, case titles and search entries that name them are rewritten to read [erased].",
		"The audit trail keeps every event about them, and still verifies, but their personal values in it can no longer be read. The erasure itself is recorded there by number only.",
		"If they asked for a copy of their data, export it first.",
	}
	return h.renderConfirm(w, r, t, p, confirmView{
		Title: "Erase the personal data of " + what + " " + who.Name + "?", Consequence: says,
		Action: tenantPath(t, "admin/personal-data/"+who.Subject.Kind+"/"+r.PathValue("id")+"/erase"),
		Button: "Erase " + who.Name + "'s personal data", Cancel: tenantPath(t, "admin/personal-data"),
	})
}

func (h *Handler) erasePersonSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	svc, err := h.erasureService()
	if err != nil {
		return err
	}
	subj, err := pathSubject(r)
	if err != nil {
		return err
	}
	if _, err := svc.Erase(r.Context(), t, p, subj); err != nil {
		return err
	}
	return redirect(w, r, tenantPath(t, "admin/personal-data?erased=1"))
}

func countWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
