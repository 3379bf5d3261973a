package metrics_test

import (
	"context"
	"math"
	"testing"
	"time"

	"strongroom"
	"strongroom/metrics"
	"strongroom/store"
	"strongroom/store/storetest"
)

// What an integration pulls is kept: its metric is defined on first use
// with source integration (and the push API then refuses it), points are
// checked like a push's, and a name a script pushes to is refused with
// nothing written.
func TestRecordFromIntegration(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, e store.Engine) {
		ctx := context.Background()
		h, admin := tenant(t, e)
		s := service()
		day := now.Add(-24 * time.Hour)
		n, err := s.Record(ctx, h, []metrics.Point{{Metric: "crm.deals", At: day, Value: 4200, Dims: map[string]string{"stage": "won"}}})
		if err != nil || n != 1 {
			t.Fatalf("record: %v %d", err, n)
		}
		m, err := s.Get(ctx, h, admin, "crm.deals")
		if err != nil || m.Source != metrics.Integration {
			t.Fatalf("the pulled metric: %v %+v", err, m)
		}
		if _, err := s.Push(ctx, h, admin, []metrics.Point{{Metric: "crm.deals", At: day, Value: 1}}); strongroom.ErrorCode(err) != strongroom.EINVALID {
			t.Fatalf("a push to an integration's metric: %v", err)
		}
		if _, err := s.Define(ctx, h, admin, metrics.Metric{Name: "sales.won"}); err != nil {
			t.Fatal(err)
		}
		before := countPoints(t, h)
		for _, bad := range [][]metrics.Point{
			{{Metric: "sales.won", At: day, Value: 1}},                                           // pushed by scripts
			{{Metric: "crm.deals", At: day, Value: math.NaN()}},                                  // not finite
			{{Metric: "crm.deals", At: now.Add(48 * time.Hour), Value: 1}},                       // in the future
			{{Metric: "Not A Name", At: day, Value: 1}},                                          // not a metric name
			{{Metric: "crm.deals", At: day, Value: 2}, {Metric: "sales.won", At: day, Value: 1}}, // all or nothing
		} {
			if _, err := s.Record(ctx, h, bad); err == nil {
				t.Errorf("recorded %+v", bad)
			}
		}
		if got := countPoints(t, h); got != before {
			t.Fatalf("refused records wrote %d points", got-before)
		}
		if _, err := s.Get(ctx, h, admin, "not a name"); err == nil {
			t.Fatal("a refused record defined a metric")
		}
	})
}
