package web

import (
	"bytes"
	"html/template"

	"strongroom/tenancy"
	"strongroom/widgets"
)

// panelGrid is the input of the "panel-grid" partial: a dashboard's
// panels, the live topic they update under ("" for none) and whether they
// are drawn for a wall screen.
type panelGrid struct {
	Topic  string
	Panels []widgets.Panel
	Kiosk  bool
	// Unencrypted marks the panels (by widget id) whose figures come from
	// an integration allowed plain HTTP; nil marks none.
	Unencrypted map[int64]bool
}

// panelBodyView is the input of the "panel-body" partial.
type panelBodyView struct {
	Panel widgets.Panel
	Kiosk bool
}

func panelBody(p widgets.Panel, kiosk bool) panelBodyView {
	return panelBodyView{Panel: p, Kiosk: kiosk}
}

// fragmentPage is the page whose template set renders fragments: any page
// holds the partials, this one is always there.
const fragmentPage = "kiosk"

// renderPanelBody renders one panel's body, as a live update replaces it,
// in the tenant's formatting.
func (h *Handler) renderPanelBody(t *tenancy.Handle, p widgets.Panel, kiosk bool) (template.HTML, error) {
	tmpl, err := h.formats.page(t.Tenant.Slug, fragmentPage, h.pages)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "panel-body", panelBody(p, kiosk)); err != nil {
		return "", err
	}
	// The partial escaped every value it wrote.
	return template.HTML(buf.String()), nil
}
