package web

import (
	"net/http"
	"time"

	"strongroom"
	"strongroom/erasure"
	"strongroom/identity"
	"strongroom/tenancy"
)

// The JSON API of erasure: a subject access export and the erasure of a
// data subject, for administrators (package erasure decides who may).

// erasureService is the erasure service, or an honest answer when the
// server was built without one.
func (h *Handler) erasureService() (*erasure.Service, error) {
	if h.svc.Erasure == nil {
		return nil, strongroom.Errorf(strongroom.EUNAVAILABLE, "Erasure is not available on this server.")
	}
	return h.svc.Erasure, nil
}

// pathSubject reads {type} (contact or user) and {id}; a malformed one is "not found", as
// a malformed id is everywhere.
func pathSubject(r *http.Request) (erasure.Subject, error) {
	s, err := erasure.ParseSubject(r.PathValue("type"), r.PathValue("id"))
	if err != nil {
		return erasure.Subject{}, strongroom.Errorf(strongroom.ENOTFOUND, "Not found.")
	}
	return s, nil
}

// subjectExport is the subject access export of the person the path
// names, for the API and the page alike.
func (h *Handler) subjectExport(r *http.Request, t *tenancy.Handle, p *identity.Principal) (erasure.Subject, *erasure.Export, error) {
	svc, err := h.erasureService()
	if err != nil {
		return erasure.Subject{}, nil, err
	}
	subj, err := pathSubject(r)
	if err != nil {
		return erasure.Subject{}, nil, err
	}
	x, err := svc.Export(r.Context(), t, p, subj)
	return subj, x, err
}

func (h *Handler) apiSubjectExport(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	_, x, err := h.subjectExport(r, t, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, x)
}

func (h *Handler) apiSubjectErase(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	svc, err := h.erasureService()
	if err != nil {
		return err
	}
	subj, err := pathSubject(r)
	if err != nil {
		return err
	}
	res, err := svc.Erase(r.Context(), t, p, subj)
	if err != nil {
		return err
	}
	// The counts stay out: they would count records the caller may not see.
	return writeJSON(w, http.StatusOK, map[string]any{"subject": res.Subject, "erased_at": res.ErasedAt.Format(time.RFC3339Nano)})
}
