package web

import (
	"context"
	"net/http"
	"time"

	"strongroom"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/tenancy"
)

// recordAPI is the API of one type of record inside a case: T the record,
// I its input, B its request body (which merges onto an input).
type recordAPI[T any, I any, B interface {
	merge(I) I
	version() int
}] struct {
	path   string // "financial", as in cases/{id}/financial and financial/{id}
	one    string // the JSON key of one record
	list   func(*cases.Service, context.Context, *tenancy.Handle, *identity.Principal, int64, cases.ListOptions) ([]T, string, error)
	get    func(*cases.Service, context.Context, *tenancy.Handle, *identity.Principal, int64) (T, error)
	create func(*cases.Service, context.Context, *tenancy.Handle, *identity.Principal, int64, I) (T, error)
	update func(*cases.Service, context.Context, *tenancy.Handle, *identity.Principal, int64, I) (T, error)
	remove func(*cases.Service, context.Context, *tenancy.Handle, *identity.Principal, int64, int) error
	input  func(T) I
	base   func(T) *cases.RecordBase
	fields func(T) map[string]any // the record's own fields; json adds the base
}

func (a recordAPI[T, I, B]) routes(h *Handler, api func(string, authFunc), pre string) {
	api("GET "+pre+"cases/{id}/"+a.path, a.listHandler(h))
	api("POST "+pre+"cases/{id}/"+a.path, a.createHandler(h))
	api("GET "+pre+a.path+"/{id}", a.getHandler(h))
	api("PUT "+pre+a.path+"/{id}", a.updateHandler(h))
	api("DELETE "+pre+a.path+"/{id}", a.deleteHandler(h))
}

// json is a record as the API shows it.
func (a recordAPI[T, I, B]) json(rec T) any { return baseJSON(a.base(rec), a.fields(rec)) }

func (a recordAPI[T, I, B]) listHandler(h *Handler) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		caseID, err := pathID(r, "id")
		if err != nil {
			return err
		}
		opt, err := listOptions(r)
		if err != nil {
			return err
		}
		list, next, err := a.list(h.svc.Cases, r.Context(), t, p, caseID, opt)
		if err != nil {
			return err
		}
		out := make([]any, 0, len(list))
		for _, rec := range list {
			out = append(out, a.json(rec))
		}
		return writeJSON(w, http.StatusOK, map[string]any{a.path: out, "next_cursor": next})
	}
}

func (a recordAPI[T, I, B]) createHandler(h *Handler) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		caseID, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var b B
		if err := decodeJSON(w, r, &b); err != nil {
			return err
		}
		var zero I
		rec, err := a.create(h.svc.Cases, r.Context(), t, p, caseID, b.merge(zero))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, map[string]any{a.one: a.json(rec)})
	}
}

func (a recordAPI[T, I, B]) getHandler(h *Handler) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		rec, err := a.get(h.svc.Cases, r.Context(), t, p, id)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{a.one: a.json(rec)})
	}
}

func (a recordAPI[T, I, B]) updateHandler(h *Handler) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var b B
		if err := decodeJSON(w, r, &b); err != nil {
			return err
		}
		cur, err := a.get(h.svc.Cases, r.Context(), t, p, id)
		if err != nil {
			return err
		}
		if b.version() == 0 {
			return strongroom.FieldError("version", "Send the version of the record you are editing.")
		}
		rec, err := a.update(h.svc.Cases, r.Context(), t, p, id, b.merge(a.input(cur)))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{a.one: a.json(rec)})
	}
}

func (a recordAPI[T, I, B]) deleteHandler(h *Handler) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		version, err := queryVersion(r)
		if err != nil {
			return err
		}
		if err := a.remove(h.svc.Cases, r.Context(), t, p, id, version); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
	}
}

// baseJSON adds what every record shows to its own fields.
func baseJSON(b *cases.RecordBase, m map[string]any) map[string]any {
	m["id"], m["case_id"], m["classes"], m["own_classes"], m["version"] = b.ID, b.CaseID, nonNil(b.Classes), b.OwnClasses, b.Version
	m["created_at"], m["updated_at"] = b.CreatedAt.Format(time.RFC3339), b.UpdatedAt.Format(time.RFC3339)
	return m
}
