package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/format"
	"strongroom/identity"
	"strongroom/tenancy"
)

// A destructive action is asked for on a page of its own that says what
// will happen: the list's Delete is a link to it (GET, a read), and only
// its Confirm button posts the deletion. It works without JavaScript.

// confirmView is the data of a confirmation page.
type confirmView struct {
	Title       string   // "Delete role Reviewer?"
	Consequence []string // sentences saying what the deletion does
	Action      string   // where Confirm posts
	Version     int      // sent with Confirm when the deletion is versioned
	Button      string   // the Confirm button's words
	Cancel      string   // where Cancel leads
}

// namesShown is how many holders a confirmation page names.
const namesShown = 5

// holders says who holds a role or class: "2 users hold this role: ann, bob."
func holders(users []*identity.User, what string) string {
	if len(users) == 0 {
		return "No user holds this " + what + "."
	}
	var names []string
	for _, u := range users[:min(len(users), namesShown)] {
		names = append(names, u.Username)
	}
	list := strings.Join(names, ", ")
	if len(users) > namesShown {
		list += fmt.Sprintf(" and %d more", len(users)-namesShown)
	}
	if len(users) == 1 {
		return fmt.Sprintf("1 user holds this %s: %s.", what, list)
	}
	return fmt.Sprintf("%d users hold this %s: %s.", len(users), what, list)
}

// usersWith returns the users whose ids (roles or classes) include id.
func (h *Handler) usersWith(r *http.Request, t *tenancy.Handle, p *identity.Principal, id int64, of func(*identity.User) []int64) ([]*identity.User, error) {
	users, err := h.identity.ListUsers(r.Context(), t, p)
	if err != nil {
		return nil, err
	}
	var out []*identity.User
	for _, u := range users {
		if slices.Contains(of(u), id) {
			out = append(out, u)
		}
	}
	return out, nil
}

func (h *Handler) renderConfirm(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal, c confirmView) error {
	v := newView(r, t, p)
	v.Page = c
	return h.render(w, http.StatusOK, "confirm", v)
}

func (h *Handler) deleteRolePage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	role, err := h.identity.GetRole(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	users, err := h.usersWith(r, t, p, id, func(u *identity.User) []int64 { return u.RoleIDs })
	if err != nil {
		return err
	}
	says := []string{holders(users, "role")}
	if len(users) > 0 {
		says = append(says, "If you delete it, they lose the access it grants ("+grantSummary(*role)+"); a user with no other role is left with none.")
	}
	says = append(says, "A deletion that would leave the workspace without an administrator is refused.")
	return h.renderConfirm(w, r, t, p, confirmView{
		Title: "Delete role " + role.Name + "?", Consequence: says,
		Action: tenantPath(t, fmt.Sprintf("admin/roles/%d/delete", id)), Button: "Delete role " + role.Name,
		Cancel: tenantPath(t, "admin/roles"),
	})
}

func (h *Handler) deleteClassPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	classes, err := h.identity.ListClasses(r.Context(), t, p)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(classes, func(c identity.Class) bool { return c.ID == id })
	if i < 0 {
		return strongroom.Errorf(strongroom.ENOTFOUND, "No such security class.")
	}
	users, err := h.usersWith(r, t, p, id, func(u *identity.User) []int64 { return u.ClassIDs })
	if err != nil {
		return err
	}
	says := []string{holders(users, "class")}
	if len(users) > 0 {
		says = append(says, "If you delete it, they no longer hold it.")
	}
	says = append(says, "A class that records still carry cannot be deleted: the deletion is refused until it is removed from them.")
	return h.renderConfirm(w, r, t, p, confirmView{
		Title: "Delete security class " + classes[i].Name + "?", Consequence: says,
		Action: tenantPath(t, fmt.Sprintf("admin/classes/%d/delete", id)), Button: "Delete class " + classes[i].Name,
		Cancel: tenantPath(t, "admin/classes"),
	})
}

// recordNouns names a record type and the form field that names a record.
var recordNouns = map[string][2]string{
	"financial": {"financial record", "description"},
	"contacts":  {"contact", "name"},
	"notes":     {"note", "title"},
	"events":    {"event", "title"},
}

// recordDeletePage asks before a record of a case is deleted. A record the
// user may not see answers as a missing one: the service's read decides.
func (h *Handler) recordDeletePage(k recordPage) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		id, err := pathID(r, "rid")
		if err != nil {
			return err
		}
		caseID, values, err := k.load(h, r, t, p, id)
		if err != nil {
			return err
		}
		c, err := h.svc.Cases.GetCase(r.Context(), t, p, caseID)
		if err != nil {
			return err
		}
		noun := recordNouns[k.path]
		title := "Delete the " + noun[0]
		if name := values.Get(noun[1]); name != "" {
			title += " “" + name + "”"
		}
		says := []string{fmt.Sprintf("It is removed from case %s and hidden from everyone at once; after %d days it is removed for good.",
			c.Number, int(cases.RetentionPeriod.Hours()/24))}
		if k.path == "contacts" {
			says = append(says, "If this case is the last one the contact is part of, the contact itself is deleted with it.")
		}
		version, _ := strconv.Atoi(values.Get("version"))
		return h.renderConfirm(w, r, t, p, confirmView{
			Title: title + "?", Consequence: says,
			Action: tenantPath(t, fmt.Sprintf("%s/%d/delete", k.path, id)), Version: version, Button: "Delete the " + noun[0],
			Cancel: tenantPath(t, fmt.Sprintf("cases/%d", caseID)),
		})
	}
}

// deleteCasePage asks before a whole case is deleted, saying what goes with
// it: the records in it that the user may see, counted through the access
// predicate, and always the same sentence about any others, so that the
// page tells nobody whether records hidden from them exist.
func (h *Handler) deleteCasePage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := h.svc.Cases.GetCase(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	if err := p.Subject.Require(access.Cases, access.Edit); err != nil {
		return err
	}
	counts, err := h.svc.Cases.CaseContents(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	days := int(cases.RetentionPeriod.Hours() / 24)
	says := []string{caseContentsSentence(counts),
		"Any records in it that you are not shown go with it too.",
		fmt.Sprintf("Everything is hidden from everyone at once and kept for %d days; then it is removed for good.", days)}
	return h.renderConfirm(w, r, t, p, confirmView{
		Title: "Delete case " + c.Number + "?", Consequence: says,
		Action: tenantPath(t, fmt.Sprintf("cases/%d/delete", id)), Version: c.Version, Button: "Delete case " + c.Number,
		Cancel: tenantPath(t, fmt.Sprintf("cases/%d", id)),
	})
}

// caseContentsSentence says what a case holds of what the user is shown:
// "3 documents, 12 financial records and 40 notes will be deleted with it."
func caseContentsSentence(counts map[cases.RecordType]int) string {
	nouns := []struct {
		t         cases.RecordType
		one, many string
	}{
		{cases.TypeDocument, "document", "documents"}, {cases.TypeFinancial, "financial record", "financial records"},
		{cases.TypeContact, "contact", "contacts"}, {cases.TypeNote, "note", "notes"}, {cases.TypeEvent, "event or deadline", "events and deadlines"},
	}
	var parts []string
	for _, n := range nouns {
		k := counts[n.t]
		if k == 0 {
			continue
		}
		noun := n.many
		if k == 1 {
			noun = n.one
		}
		parts = append(parts, format.Default.Number(int64(k))+" "+noun)
	}
	if len(parts) == 0 {
		return "It holds no records that you are shown."
	}
	list := parts[0]
	if len(parts) > 1 {
		list = strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	return list + " will be deleted with it."
}
