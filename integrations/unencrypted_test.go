package integrations_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// testUnencryptedMetrics: the metrics of integrations allowed plain HTTP
// are named, and only theirs; forbidding plain HTTP again takes the metric
// off the list.
func testUnencryptedMetrics(t *testing.T, f *fixture) {
	ctx := context.Background()
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	secure := input(apiServer(t, nil), "secure")
	secure.Connector.Metric = "crm.pipeline"
	f.create(secure)
	if got, err := f.svc.UnencryptedMetrics(ctx, f.h); err != nil || len(got) != 0 {
		t.Fatalf("with HTTPS only: %v %v", got, err)
	}
	legacy := input(plain, "legacy")
	legacy.Connector.Metric, legacy.AllowHTTP = "finance.fees", true
	it := f.create(legacy)
	got, err := f.svc.UnencryptedMetrics(ctx, f.h)
	if err != nil || !got["finance.fees"] || got["crm.pipeline"] || len(got) != 1 {
		t.Fatalf("with one plain-HTTP integration: %v %v", got, err)
	}
	legacy.Connector.URL = "https" + legacy.Connector.URL[len("http"):]
	legacy.AllowHTTP, legacy.Version, legacy.Secret = false, it.Version, nil
	if _, err := f.svc.Update(ctx, f.h, f.admin, it.ID, legacy); err != nil {
		t.Fatal(err)
	}
	if got, err := f.svc.UnencryptedMetrics(ctx, f.h); err != nil || len(got) != 0 {
		t.Fatalf("after plain HTTP is forbidden again: %v %v", got, err)
	}
}
