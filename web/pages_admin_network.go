package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"strongroom"
	"strongroom/identity"
	"strongroom/netpolicy"
	"strongroom/tenancy"
)

// The audit trail's words for the allowlist's events: a change by an
// administrator, the operator's clear from the command line, and a request
// refused for its address.
func init() {
	actionLabels["netpolicy.update"] = "Changed the IP allowlist"
	actionLabels["netpolicy.clear"] = "Cleared the IP allowlist (operator)"
	actionLabels["netpolicy.refused"] = "Request refused by the IP allowlist"
	auditFieldLabels["entries"] = "Allowed networks"
}

// networkFields are the Network access form's fields, as the API names them.
var networkFields = []string{"entries", "confirm_lockout"}

// networkPageView is what the Network access page shows besides the form.
type networkPageView struct {
	YourAddress string
	MaxEntries  int
	Count       int
	// LineErrors are every problem of the list, each naming its line,
	// shown beside the text box.
	LineErrors []string
}

func (h *Handler) networkView(r *http.Request, t *tenancy.Handle, p *identity.Principal) (view, error) {
	pol, err := h.svc.NetPolicy.Get(r.Context(), t, p)
	if err != nil {
		return view{}, err
	}
	v := newView(r, t, p)
	v.Form.Values.Set("entries", netpolicy.Format(pol.Entries))
	v.Form.Values.Set("version", strconv.Itoa(pol.Version))
	you := p.IP
	if you == "" {
		you = "not known"
	}
	v.Page = networkPageView{YourAddress: you, MaxEntries: netpolicy.MaxEntries, Count: len(pol.Entries)}
	return v, nil
}

func (h *Handler) networkPage(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	v, err := h.networkView(r, t, p)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "admin_network", v)
}

func (h *Handler) networkSubmit(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	entries, lines := netpolicy.ParseLines(r.PostForm.Get("entries"))
	version, err := formInt(r, "version")
	if err == nil {
		confirm := r.PostForm.Get("confirm_lockout") != ""
		_, err = h.svc.NetPolicy.Update(r.Context(), t, p, netpolicy.Input{Entries: entries, Version: version, ConfirmLockout: confirm})
	}
	if err == nil {
		return redirectDone(w, r, t, "admin/network", "network-saved")
	}
	v, verr := h.networkView(r, t, p)
	if verr != nil {
		return verr
	}
	v.Form.Values.Set("entries", r.PostForm.Get("entries"))
	if strongroom.ErrorCode(err) != strongroom.ECONFLICT {
		v.Form.Values.Set("version", r.PostForm.Get("version"))
	}
	err = lineProblems(err, lines)
	page := v.Page.(networkPageView)
	for _, pr := range strongroom.ErrorProblems(err) {
		if pr.Field == "entries" {
			page.LineErrors = append(page.LineErrors, pr.Message)
		}
	}
	v.Page = page
	return h.renderForm(w, "admin_network", v, err, networkFields...)
}

// lineProblems turns the service's entries[i].cidr problems into the
// form's: the text box, and the line the entry was on.
func lineProblems(err error, lines []int) error {
	ps := strongroom.ErrorProblems(err)
	if ps == nil {
		return err
	}
	var out strongroom.Problems
	for _, pr := range ps {
		rest, ok := strings.CutPrefix(pr.Field, "entries[")
		if !ok {
			out.Addf(pr.Field, "%s", pr.Message)
			continue
		}
		idx, part, _ := strings.Cut(rest, "]")
		i, cerr := strconv.Atoi(idx)
		if cerr != nil || i < 0 || i >= len(lines) {
			out.Addf("entries", "%s", pr.Message)
			continue
		}
		what := "network"
		if part == ".label" {
			what = "label"
		}
		out.Addf("entries", "%s", fmt.Sprintf("Line %d (%s): %s", lines[i], what, pr.Message))
	}
	return out.Err()
}
