package integrations

import (
	"slices"

	"strongroom"
)

// A Preset is a connector filled in for one vendor's API; the
// administrator adds only the credentials (and whatever the preset says
// it needs, like an OAuth client id). The paths follow the response shape
// the vendor documents for that endpoint; a vendor that changes its shape
// breaks the preset, and the pull's last error says which path found
// nothing of the right kind.
type Preset struct {
	Name        string
	Label       string
	Description string
	Connector   Connector
}

// presets are the ready connectors, in the order a form offers them.
var presets = []Preset{
	{
		// HubSpot CRM v3, GET /crm/v3/objects/deals: {"results": [{"id",
		// "properties": {"amount": "1500.00", "dealstage", "pipeline", …},
		// "createdAt", "updatedAt", "archived"}], "paging": {"next":
		// {"after", "link"}}}. Amounts are strings; a deal without one has
		// null and is left out. A private app's access token is the
		// bearer token.
		Name:        "hubspot-deals",
		Label:       "HubSpot: open deals (pipeline value)",
		Description: "The amount of every deal in HubSpot, by pipeline and stage, as of each pull. Needs a private app access token with the crm.objects.deals.read scope.",
		Connector: Connector{
			URL:    "https://api.hubapi.com/crm/v3/objects/deals",
			Method: "GET",
			Query:  map[string]string{"limit": "100", "properties": "amount,dealstage,pipeline", "archived": "false"},
			Items:  "results[*]",
			Value:  "properties.amount",
			Dims:   map[string]string{"pipeline": "properties.pipeline", "stage": "properties.dealstage"},
			Metric: "crm.deal_amount",
			Pagination: Pagination{
				Kind: PageNext, NextURL: "paging.next.link", MaxPages: 50,
			},
			Auth: Auth{Kind: AuthBearer},
		},
	},
	{
		// Xero Accounting API, GET /api.xro/2.0/Invoices: {"Invoices":
		// [{"Type": "ACCREC", "InvoiceID", "InvoiceNumber", "Status",
		// "AmountDue": 100.0, "CurrencyCode": "EUR", "DueDateString", …}]},
		// 100 invoices a page (page=1, 2, …), an empty list past the last.
		// A custom connection authenticates with OAuth 2.0 client
		// credentials at identity.xero.com.
		Name:        "xero-receivables",
		Label:       "Xero: receivables (amount due on sales invoices)",
		Description: "The amount still due on every authorised sales invoice in Xero, by currency, as of each pull. Needs a Xero custom connection: its client id and client secret, with the accounting.transactions.read scope.",
		Connector: Connector{
			URL:    "https://api.xero.com/api.xro/2.0/Invoices",
			Method: "GET",
			Query:  map[string]string{"where": `Type=="ACCREC"`, "Statuses": "AUTHORISED"},
			Items:  "Invoices[*]",
			Value:  "AmountDue",
			Dims:   map[string]string{"currency": "CurrencyCode"},
			Metric: "accounting.receivables_due",
			Pagination: Pagination{
				Kind: PageNumber, Param: "page", Start: 1, MaxPages: 100,
			},
			Auth: Auth{Kind: AuthOAuth2, TokenURL: "https://identity.xero.com/connect/token",
				Scopes: []string{"accounting.transactions.read"}},
		},
	},
}

// Presets returns the ready connectors.
func Presets() []Preset {
	out := make([]Preset, len(presets))
	for i, p := range presets {
		out[i] = p
		out[i].Connector = p.Connector.clone()
	}
	return out
}

// PresetNamed returns the preset called name.
func PresetNamed(name string) (Preset, error) {
	i := slices.IndexFunc(presets, func(p Preset) bool { return p.Name == name })
	if i < 0 {
		return Preset{}, strongroom.FieldError("preset", "There is no preset %q.", name)
	}
	p := presets[i]
	p.Connector = p.Connector.clone()
	return p, nil
}

// clone copies the maps and slices, so a caller's edits stay its own.
func (c Connector) clone() Connector {
	c.Headers = cloneMap(c.Headers)
	c.Query = cloneMap(c.Query)
	c.Dims = cloneMap(c.Dims)
	c.Auth.Scopes = slices.Clone(c.Auth.Scopes)
	return c
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
