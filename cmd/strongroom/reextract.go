package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"strongroom"
	"strongroom/backup/standby"
	"strongroom/jobs"
	"strongroom/store"
	"strongroom/tenancy"
)

// reextractKind puts the text of a tenant's document files back into its
// search index after a restore (whose rebuilt index finds documents by
// title and description only), one batch of documents per job: each job
// carries the cursor (the last document done) and enqueues the next, so
// a restart goes on where it stopped, and a batch done twice changes
// nothing.
const reextractKind = "documents.reextract"

// reextractPayload is a re-extraction job's cursor and the counts of the
// batches before it, for the log line at the end.
type reextractPayload struct {
	After     int64 `json:"after"`
	Batch     int   `json:"batch,omitempty"` // documents per job; 0: documents.ReextractBatch
	Indexed   int   `json:"indexed,omitempty"`
	Unchanged int   `json:"unchanged,omitempty"`
	Skipped   int   `json:"skipped,omitempty"`
}

// reextractJob returns the job after p: unique per tenant and cursor, so
// that a batch tried again does not enqueue its successor twice while the
// successor waits.
func reextractJob(slug string, p reextractPayload) jobs.Job {
	body, _ := json.Marshal(p) // a struct of numbers: cannot fail
	return jobs.Job{Kind: reextractKind, Tenant: slug, Payload: body,
		UniqueKey: fmt.Sprintf("%s/%s/%d", reextractKind, slug, p.After)}
}

// registerReextract registers the re-extraction kind on serve's runner.
func (m *Main) registerReextract() {
	m.runner.Register(reextractKind, m.tenantJob(m.reextractBatch), jobs.KindOptions{
		MaxAttempts: 5, Timeout: 30 * time.Minute, Backoff: time.Minute, MaxBackoff: 30 * time.Minute,
	})
}

// reextractBatch runs one batch of the job's tenant and enqueues the next.
func (m *Main) reextractBatch(ctx context.Context, h *tenancy.Handle, j jobs.Job) error {
	var p reextractPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.After < 0 || p.Batch < 0 {
		return jobs.Permanent(strongroom.Errorf(strongroom.EINVALID, "The job's payload is not a re-extraction cursor."))
	}
	docs := m.svc.Documents
	log := m.Log.With("tenant", h.Tenant.Slug, "job", j.ID)
	if p.After == 0 {
		n, err := docs.LiveDocuments(ctx, h)
		if err != nil {
			return err
		}
		log.Info("re-extracting document text for search", "documents", n)
	}
	res, err := docs.Reextract(ctx, h, p.After, p.Batch)
	if err != nil {
		return err
	}
	p.After = res.Last
	p.Indexed, p.Unchanged, p.Skipped = p.Indexed+res.Indexed, p.Unchanged+res.Unchanged, p.Skipped+res.Skipped
	if res.More {
		log.Debug("re-extracted a batch of document text", "after", p.After, "indexed", p.Indexed)
		_, err := m.queue.Enqueue(ctx, reextractJob(h.Tenant.Slug, p))
		return err
	}
	log.Info("document text re-extracted", "indexed", p.Indexed, "unchanged", p.Unchanged, "skipped", p.Skipped)
	return nil
}

// enqueueReextract puts the first batch of slug's re-extraction on the
// control database's queue, for whichever server runs jobs next.
func enqueueReextract(ctx context.Context, db *store.DB, slug string) (int64, error) {
	return jobs.NewStore(db).Enqueue(ctx, reextractJob(slug, reextractPayload{}))
}

// reextractAfterRestore enqueues the re-extraction of tenants just brought
// live by a restore or a promotion and says so. A tenant that could not be
// enqueued is still restored: the operator is told how to do it by hand.
func reextractAfterRestore(ctx context.Context, db *store.DB, stdout io.Writer, slugs ...string) {
	for _, slug := range slugs {
		if _, err := enqueueReextract(ctx, db, slug); err != nil {
			fmt.Fprintf(stdout, "%s: the re-extraction of document text could not be queued (%s); run \"strongroom documents reextract %s\".\n",
				slug, describe(err), slug)
			continue
		}
		fmt.Fprintf(stdout, "%s: documents are searchable by title now, and by their text once \"strongroom serve\" has run the %s job.\n",
			slug, reextractKind)
	}
}

// promotedSlugs are the tenants a promotion brought live: those with a copy.
func promotedSlugs(ts []standby.TenantState) []string {
	var out []string
	for _, t := range ts {
		if t.BackupID != "" {
			out = append(out, t.Slug)
		}
	}
	return out
}

// runDocuments is "strongroom documents reextract SLUG".
func runDocuments(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "reextract" {
		fmt.Fprint(stderr, "strongroom documents: say reextract SLUG (queue the re-extraction of a tenant's document text for search)\n")
		return errUsage
	}
	var cfg StorageConfig
	fs := newFlagSet("documents reextract", stderr, "strongroom documents reextract SLUG [flags]\n\n"+
		"Queues the re-extraction of the text of every document of a tenant into its search index, in batches of\n"+
		"50 documents, for \"strongroom serve\" to run (see strongroom jobs list --kind "+reextractKind+"). A restore\n"+
		"and a standby promotion queue it themselves: restored documents are searchable by title at once and by\n"+
		"their text once the job has run. Running it again changes nothing.")
	cfg.register(fs)
	var of operatorFlags
	of.register(fs)
	rest, err := parse(fs, args[1:], 1)
	if err != nil {
		return err
	}
	slug := rest[0]
	if err := strongroom.ValidateSlug(slug); err != nil {
		return strongroom.FieldError("slug", "%s", strongroom.ErrorMessage(err))
	}
	// The job reads every document: the operator is named in the tenant's trail.
	_, _, closeTenant, err := openTenantAs(ctx, cfg, stderr, slug, &of, "documents reextract", nil)
	if err != nil {
		return err
	}
	closeTenant()
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
	id, err := enqueueReextract(ctx, db, slug)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Queued the re-extraction of %s's document text as job %d; \"strongroom serve\" runs it.\n", slug, id)
	return nil
}
