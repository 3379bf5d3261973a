package integrations

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"
)

// TestHubSpotPreset serves two pages in the shape HubSpot documents for
// GET /crm/v3/objects/deals (amounts as strings, a deal without one,
// paging.next.link absolute) and checks the preset's points.
func TestHubSpotPreset(t *testing.T) {
	var srv *httptest.Server
	srv = tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/crm/v3/objects/deals" || r.Header.Get("Authorization") != "Bearer pat-na1-test" ||
			r.URL.Query().Get("properties") != "amount,dealstage,pipeline" {
			http.Error(w, `{"status":"error","category":"INVALID_AUTHENTICATION"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("after") == "" {
			fmt.Fprintf(w, `{"results": [
				{"id": "101", "properties": {"amount": "1500.00", "dealstage": "appointmentscheduled", "pipeline": "default",
				  "createdate": "2026-01-10T09:00:00.000Z", "hs_lastmodifieddate": "2026-02-01T09:00:00.000Z", "hs_object_id": "101"},
				 "createdAt": "2026-01-10T09:00:00.000Z", "updatedAt": "2026-02-01T09:00:00.000Z", "archived": false},
				{"id": "102", "properties": {"amount": null, "dealstage": "qualifiedtobuy", "pipeline": "default"},
				 "createdAt": "2026-01-11T09:00:00.000Z", "updatedAt": "2026-01-11T09:00:00.000Z", "archived": false}],
				"paging": {"next": {"after": "NTI1Cg%%3D%%3D", "link": "%s/crm/v3/objects/deals?after=NTI1Cg%%3D%%3D&limit=100&properties=amount,dealstage,pipeline"}}}`, srv.URL)
			return
		}
		fmt.Fprint(w, `{"results": [
			{"id": "103", "properties": {"amount": "250.5", "dealstage": "closedwon", "pipeline": "default"},
			 "createdAt": "2026-01-12T09:00:00.000Z", "updatedAt": "2026-01-12T09:00:00.000Z", "archived": false}]}`)
	}))
	p, err := PresetNamed("hubspot-deals")
	if err != nil {
		t.Fatal(err)
	}
	c := p.Connector
	c.URL = at(srv, c.URL)
	mustValid(t, &c, false)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	pts, err := trusting(srv).Fetch(context.Background(), c, "pat-na1-test", false, now)
	if err != nil {
		t.Fatal(err)
	}
	got := summarize(pts)
	want := []string{"crm.deal_amount 1500 pipeline=default stage=appointmentscheduled", "crm.deal_amount 250.5 pipeline=default stage=closedwon"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, pt := range pts {
		if !pt.At.Equal(now) {
			t.Errorf("time %v, want the pull's", pt.At)
		}
	}
}

// TestXeroPreset serves Xero's documented shape of GET
// /api.xro/2.0/Invoices (100 a page, an empty list past the last) behind
// a client-credentials token endpoint like identity.xero.com's.
func TestXeroPreset(t *testing.T) {
	srv := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/connect/token" {
			id, secret, _ := r.BasicAuth()
			if id != "XERO-CLIENT" || secret != "xero-secret" || r.FormValue("scope") != "accounting.transactions.read" {
				http.Error(w, `{"error":"invalid_client"}`, http.StatusBadRequest)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"access_token": "xero-access", "token_type": "Bearer", "expires_in": 1800})
			return
		}
		q := r.URL.Query()
		if r.URL.Path != "/api.xro/2.0/Invoices" || r.Header.Get("Authorization") != "Bearer xero-access" ||
			q.Get("where") != `Type=="ACCREC"` || q.Get("Statuses") != "AUTHORISED" {
			http.Error(w, `{"Type":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		invoices := map[string]string{
			"1": `{"Type": "ACCREC", "InvoiceID": "243216c5-369e-4056-ac67-05388f86dc81", "InvoiceNumber": "INV-0001",
				"Contact": {"ContactID": "025867f1-d741-4d6b-b1af-9ac774b59ba7", "Name": "City Agency"},
				"DateString": "2026-02-01T00:00:00", "Date": "/Date(1769904000000+0000)/", "DueDateString": "2026-03-01T00:00:00",
				"Status": "AUTHORISED", "LineAmountTypes": "Exclusive", "SubTotal": 1000.00, "TotalTax": 200.00, "Total": 1200.00,
				"AmountDue": 1200.00, "AmountPaid": 0.00, "CurrencyCode": "EUR"},
				{"Type": "ACCREC", "InvoiceNumber": "INV-0002", "Status": "AUTHORISED", "Total": 500.00, "AmountDue": 300.00,
				"AmountPaid": 200.00, "CurrencyCode": "GBP"}`,
			"2": `{"Type": "ACCREC", "InvoiceNumber": "INV-0003", "Status": "AUTHORISED", "Total": 80.00, "AmountDue": 80.00, "CurrencyCode": "EUR"}`,
		}
		fmt.Fprintf(w, `{"Id": "1d6b8c2e", "Status": "OK", "ProviderName": "Strongroom", "DateTimeUTC": "/Date(1772366400000)/", "Invoices": [%s]}`, invoices[q.Get("page")])
	}))
	p, err := PresetNamed("xero-receivables")
	if err != nil {
		t.Fatal(err)
	}
	c := p.Connector
	c.URL, c.Auth.TokenURL, c.Auth.ClientID = at(srv, c.URL), at(srv, c.Auth.TokenURL), "XERO-CLIENT"
	mustValid(t, &c, false)
	pts, err := trusting(srv).Fetch(context.Background(), c, "xero-secret", false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"accounting.receivables_due 1200 currency=EUR", "accounting.receivables_due 300 currency=GBP", "accounting.receivables_due 80 currency=EUR"}
	if got := summarize(pts); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func summarize(pts []Point) []string {
	var out []string
	for _, p := range pts {
		s := fmt.Sprintf("%s %g", p.Metric, p.Value)
		var keys []string
		for k := range p.Dims {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s += " " + k + "=" + p.Dims[k]
		}
		out = append(out, s)
	}
	return out
}

func TestPresetsValid(t *testing.T) {
	for _, p := range Presets() {
		c := p.Connector
		if p.Name == "xero-receivables" {
			c.Auth.ClientID = "id"
		}
		if err := c.Validate(false); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
	if _, err := PresetNamed("nope"); err == nil {
		t.Error("an unknown preset was found")
	}
}
