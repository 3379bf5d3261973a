package jobs_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"strongroom"
	"strongroom/jobs"
	"strongroom/store"
	"strongroom/store/postgres"
	"strongroom/store/sqlite"
	"strongroom/store/storetest"
)

// killChildEnv tells a re-executed test binary to be the runner that
// TestKilledRunnerProcess kills: "sqlite DIR" or "postgres DSN".
const killChildEnv = "STRONGROOM_JOBS_KILL_CHILD"

func openEngine(t *testing.T, spec string) store.Engine {
	t.Helper()
	engine, where, _ := strings.Cut(spec, " ")
	var e store.Engine
	var err error
	if engine == "sqlite" {
		e, err = sqlite.New(where)
	} else {
		e, err = postgres.New(where)
	}
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A runner process killed with SIGKILL while it runs a job leaves the job
// running under its lease; once the lease runs out the next runner takes
// it back and runs it, the killed attempt counted.
func TestKilledRunnerProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			spec := "sqlite " + t.TempDir()
			if engine == "postgres" {
				if os.Getenv(storetest.PostgresEnv) == "" {
					t.Skip(storetest.PostgresEnv + " is not set")
				}
				spec = "postgres " + storetest.PostgresDSN(t)
			}
			e := openEngine(t, spec)
			defer e.Close()
			db, err := e.OpenControl(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			env := &env{db: db, clock: newClock()}
			env.clock.Set(time.Now().UTC())
			env.q = env.store()
			env.tenant(t, "acme", strongroom.TenantActive)
			id := env.enqueue(t, jobs.Job{Kind: "work", Tenant: "acme"})

			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKilledRunner$", "-test.count=1")
			cmd.Env = append(os.Environ(), killChildEnv+"="+spec)
			cmd.Stderr = os.Stderr
			out, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil || line != "running\n" {
				t.Fatalf("child said %q, %v", line, err)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()

			if j := env.job(t, id); j.State != jobs.Running || j.LeaseOwner != "child" || j.Attempts != 1 {
				t.Fatalf("what the kill left: %+v", j)
			}
			var c counter
			r, _ := env.runner(t, "after", func(r *jobs.Runner) {
				r.Register("work", c.handle(nil), jobs.KindOptions{Backoff: time.Second})
			})
			if runDue(t, r) != 0 {
				t.Fatal("the killed runner's job was taken within its lease")
			}
			env.clock.Add(2 * time.Minute) // past the child's lease
			runDue(t, r)
			env.clock.Add(2 * time.Second) // past the backoff
			runDue(t, r)
			if j := env.job(t, id); j.State != jobs.Done || j.Attempts != 2 || c.n("acme") != 1 {
				t.Fatalf("after the retry: %+v, handler called %d times", j, c.n("acme"))
			}
		})
	}
}

// TestHelperKilledRunner is the runner TestKilledRunnerProcess kills: it
// claims the job, says "running" and waits.
func TestHelperKilledRunner(t *testing.T) {
	spec := os.Getenv(killChildEnv)
	if spec == "" {
		t.Skip("run by TestKilledRunnerProcess")
	}
	e := openEngine(t, spec)
	db, err := e.OpenControl(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := jobs.NewRunner(jobs.NewStore(db), jobs.Config{Owner: "child", Lease: time.Minute})
	r.Register("work", func(ctx context.Context, j jobs.Job) error {
		os.Stdout.WriteString("running\n")
		select {}
	}, jobs.KindOptions{})
	r.RunDue(context.Background())
}
