package web

import (
	"net/http"
	"time"

	"strongroom"
	"strongroom/dashboards"
	"strongroom/identity"
	"strongroom/tenancy"
)

// groupRoutes registers the JSON API of groups and their members
// (administrators manage them; package dashboards decides).
func (h *Handler) groupRoutes(api func(string, authFunc), pre string) {
	api("GET "+pre+"groups", h.apiGroups)
	api("POST "+pre+"groups", h.apiCreateGroup)
	api("GET "+pre+"groups/{id}", h.apiGroup)
	api("PUT "+pre+"groups/{id}", h.apiUpdateGroup)
	api("DELETE "+pre+"groups/{id}", h.apiDeleteGroup)
	api("GET "+pre+"groups/{id}/members", h.apiGroupMembers)
	api("PUT "+pre+"groups/{id}/members/{user}", h.apiGroupMember(true))
	api("DELETE "+pre+"groups/{id}/members/{user}", h.apiGroupMember(false))
	api("GET "+pre+"users/{id}/groups", h.apiUserGroups)
	api("GET "+pre+"me/groups", h.apiMyGroups)
}

type groupJSON struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Source      string `json:"source"`
	Members     int    `json:"members"`
	Version     int    `json:"version"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

func toGroupJSON(g *dashboards.Group) groupJSON {
	return groupJSON{ID: g.ID, Name: g.Name, Description: g.Description, Source: g.Source, Members: g.Members,
		Version: g.Version, CreatedAt: g.CreatedAt.Format(time.RFC3339), UpdatedAt: g.UpdatedAt.Format(time.RFC3339)}
}

func groupsJSON(gs []dashboards.Group) []groupJSON {
	out := make([]groupJSON, 0, len(gs))
	for i := range gs {
		out = append(out, toGroupJSON(&gs[i]))
	}
	return out
}

// groupBody is a group as the API takes it; on PUT a field left out keeps
// its value.
type groupBody struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Version     int     `json:"version"`
}

func (h *Handler) apiGroups(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	gs, err := h.dashboardsService().ListGroups(r.Context(), t, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"groups": groupsJSON(gs)})
}

func (h *Handler) apiGroup(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	g, err := h.dashboardsService().GetGroup(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"group": toGroupJSON(g)})
}

func (h *Handler) apiCreateGroup(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	var b groupBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	var in dashboards.GroupInput
	set(&in.Name, b.Name)
	set(&in.Description, b.Description)
	g, err := h.dashboardsService().CreateGroup(r.Context(), t, p, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"group": toGroupJSON(g)})
}

func (h *Handler) apiUpdateGroup(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b groupBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	svc := h.dashboardsService()
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	cur, err := svc.GetGroup(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	in := dashboards.GroupInput{Name: cur.Name, Description: cur.Description, Version: b.Version}
	set(&in.Name, b.Name)
	set(&in.Description, b.Description)
	if b.Version == 0 {
		return strongroom.FieldError("version", "Send the version of the group you are editing.")
	}
	g, err := svc.UpdateGroup(r.Context(), t, p, id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"group": toGroupJSON(g)})
}

func (h *Handler) apiDeleteGroup(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.dashboardsService().DeleteGroup(r.Context(), t, p, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}

func (h *Handler) apiGroupMembers(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ids, err := h.dashboardsService().Members(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	names, err := identity.DisplayNames(r.Context(), t, ids)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(ids))
	for _, uid := range ids {
		out = append(out, map[string]any{"user_id": uid, "display_name": names[uid]})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"members": out})
}

// apiGroupMember puts a user into a group (PUT) or takes them out
// (DELETE); either is a no-op when already so.
func (h *Handler) apiGroupMember(in bool) authFunc {
	return func(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
		id, userID, err := pathIDs(r, "id", "user")
		if err != nil {
			return err
		}
		svc := h.dashboardsService()
		if in {
			err = svc.AddMember(r.Context(), t, p, id, userID)
		} else {
			err = svc.RemoveMember(r.Context(), t, p, id, userID)
		}
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{"member": in})
	}
}

func (h *Handler) apiUserGroups(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	gs, err := h.dashboardsService().UserGroups(r.Context(), t, p, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"groups": groupsJSON(gs)})
}

func (h *Handler) apiMyGroups(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	gs, err := h.dashboardsService().UserGroups(r.Context(), t, p, p.User.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"groups": groupsJSON(gs)})
}
