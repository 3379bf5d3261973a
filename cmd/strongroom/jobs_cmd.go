package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"strongroom"
	"strongroom/jobs"
)

// runJobs is "strongroom jobs list|schedules": what the job runner did and
// will do, read from the control database (no master key needed).
func runJobs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "schedules") {
		fmt.Fprint(stderr, "strongroom jobs: say list (recent jobs) or schedules (periodic jobs and their last runs)\n")
		return errUsage
	}
	var cfg StorageConfig
	var tenant, kind, state string
	limit := 50
	fs := newFlagSet("jobs "+args[0], stderr, "strongroom jobs "+args[0]+" [flags]")
	cfg.register(fs)
	fs.StringVar(&tenant, "tenant", "", "only this tenant's (its slug)")
	fs.StringVar(&kind, "kind", "", "only jobs of this kind")
	if args[0] == "list" {
		fs.StringVar(&state, "state", "", "only jobs in this state: queued, running, done, failed or dead")
		fs.IntVar(&limit, "limit", 50, "at most this many jobs, newest first (up to 500)")
	}
	if _, err := parse(fs, args[1:], 0); err != nil {
		return err
	}
	if tenant != "" {
		if err := strongroom.ValidateSlug(tenant); err != nil {
			return strongroom.FieldError("tenant", "%s", strongroom.ErrorMessage(err))
		}
	}
	switch jobs.State(state) {
	case "", jobs.Queued, jobs.Running, jobs.Done, jobs.Failed, jobs.Dead:
	default:
		return strongroom.FieldError("state", "The state is one of queued, running, done, failed and dead.")
	}
	if limit < 1 || limit > 500 {
		return strongroom.FieldError("limit", "The limit is between 1 and 500.")
	}
	engine, err := newEngine(cfg)
	if err != nil {
		return err
	}
	defer engine.Close()
	db, err := engine.OpenControl(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	q := jobs.NewStore(db)
	if args[0] == "schedules" {
		list, err := q.Schedules(ctx, jobs.ScheduleFilter{Tenant: tenant, Kind: kind})
		if err != nil {
			return err
		}
		return printSchedules(stdout, list)
	}
	list, err := q.List(ctx, jobs.Filter{Tenant: tenant, Kind: kind, State: jobs.State(state), Limit: limit})
	if err != nil {
		return err
	}
	return printJobs(stdout, list)
}

func printJobs(w io.Writer, list []jobs.Job) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tTENANT\tSTATE\tATTEMPTS\tRUN AT\tFINISHED\tLAST ERROR")
	for _, j := range list {
		attempts := fmt.Sprint(j.Attempts)
		if j.MaxAttempts > 0 {
			attempts += fmt.Sprintf("/%d", j.MaxAttempts)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Kind, orDash(j.Tenant), j.State, attempts,
			when(j.RunAt), when(j.FinishedAt), orDash(j.LastError))
	}
	return tw.Flush()
}

func printSchedules(w io.Writer, list []jobs.Schedule) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tTENANT\tEVERY\tNEXT RUN\tLAST RUN\tLAST STATE\tLAST SUCCESS")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Kind, orDash(s.Tenant), s.Every,
			when(s.NextRunAt), when(s.LastRunAt), orDash(string(s.LastState)), when(s.LastSuccessAt))
	}
	return tw.Flush()
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 MST")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
