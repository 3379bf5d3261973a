package jobs_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"strongroom"
	"strongroom/jobs"
)

// Runners on several nodes share one control database: no job runs twice,
// let alone twice at once, and every job runs.
func TestRunnersNeverRunAJobTwice(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.tenant(t, "acme", strongroom.TenantActive)
		const n = 300
		var mu sync.Mutex
		inFlight, runs := map[int64]bool{}, map[int64]int{}
		overlap, nodes := 0, map[int]bool{}
		handler := func(node int) jobs.Handler {
			return func(ctx context.Context, j jobs.Job) error {
				mu.Lock()
				nodes[node] = true
				if inFlight[j.ID] {
					overlap++
				}
				inFlight[j.ID] = true
				runs[j.ID]++
				mu.Unlock()
				time.Sleep(time.Millisecond) // long enough for another node to try
				mu.Lock()
				delete(inFlight, j.ID)
				mu.Unlock()
				return nil
			}
		}
		var runners []*jobs.Runner
		for i := range 3 {
			q := jobs.NewStore(e.db) // each node its own queue and real clock
			r := jobs.NewRunner(q, jobs.Config{Owner: fmt.Sprintf("node%d", i), Workers: 4, Poll: 5 * time.Millisecond})
			r.Register("work", handler(i), jobs.KindOptions{})
			runners = append(runners, r)
		}
		ctx := context.Background()
		q := jobs.NewStore(e.db)
		for range n {
			if _, err := q.Enqueue(ctx, jobs.Job{Kind: "work", Tenant: "acme"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range runners {
			r.Start()
		}
		deadline := time.Now().Add(2 * time.Minute)
		for e.count(t, `SELECT COUNT(*) FROM jobs WHERE state = 'done'`) < n {
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d jobs done", e.count(t, `SELECT COUNT(*) FROM jobs WHERE state = 'done'`), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
		for _, r := range runners {
			if err := r.Close(ctx); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if overlap != 0 {
			t.Fatalf("%d times a job ran on two nodes at once", overlap)
		}
		for id, k := range runs {
			if k != 1 {
				t.Errorf("job %d ran %d times", id, k)
			}
		}
		if len(runs) != n {
			t.Fatalf("%d of %d jobs ran", len(runs), n)
		}
		if len(nodes) < 2 {
			t.Fatalf("only %d node ran jobs: the test did not race", len(nodes))
		}
	})
}
