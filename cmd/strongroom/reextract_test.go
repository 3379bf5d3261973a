package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/documents"
	"strongroom/identity"
	"strongroom/jobs"
	"strongroom/search"
	"strongroom/store"
	"strongroom/store/storetest"
	"strongroom/tenancy"
)

// jobWorld is serve's job wiring over one installation, with a runner
// that runs only when the test says (RunDue) and the re-extraction kind
// registered as serve registers it.
type jobWorld struct {
	t    *testing.T
	m    *Main
	logs *syncBuffer
	done bool
	// releases give back the handles the test took, before the registry
	// closes: one still held would be closed (and signed) after it.
	releases []func()
}

func newJobWorld(t *testing.T, s []string) *jobWorld {
	t.Helper()
	ctx := context.Background()
	cfg := StorageConfig{DataDir: s[1], MasterKeyFile: s[3]}
	if len(s) > 5 {
		cfg.Database = s[5]
	}
	w := &jobWorld{t: t, logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: ServeConfig{Storage: cfg}, Log: log, app: a}
	m.registry = tenancy.NewRegistry(a.engine, a.control, a.keeper, log, time.Minute, cfg.checkpoints())
	m.svc = m.services()
	m.queue = jobs.NewStore(a.db)
	m.runner = jobs.NewRunner(m.queue, jobs.Config{Log: log})
	m.registerReextract()
	w.m = m
	t.Cleanup(w.close)
	return w
}

// close stops the installation, as a server being stopped does.
func (w *jobWorld) close() {
	if w.done {
		return
	}
	w.done = true
	for _, release := range w.releases {
		release()
	}
	w.m.runner.Close(context.Background())
	w.m.registry.Close()
	w.m.app.Close()
}

func (w *jobWorld) handle(slug string) *tenancy.Handle {
	w.t.Helper()
	h, release, err := w.m.registry.Get(context.Background(), slug)
	if err != nil {
		w.t.Fatal(err)
	}
	w.releases = append(w.releases, release)
	return h
}

// runAll runs due jobs until none is left and returns how many ran.
func (w *jobWorld) runAll() int {
	w.t.Helper()
	total := 0
	for {
		n, err := w.m.runner.RunDue(context.Background())
		if err != nil {
			w.t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

func (w *jobWorld) reextractJobs(slug string) []jobs.Job {
	w.t.Helper()
	list, err := w.m.queue.List(context.Background(), jobs.Filter{Tenant: slug, Kind: reextractKind, Limit: 500})
	if err != nil {
		w.t.Fatal(err)
	}
	return list
}

// reextractAdmin may edit everything and holds classes.
func reextractAdmin(classes ...int64) *identity.Principal {
	grants := map[access.Area]access.Grant{}
	for _, a := range access.Areas() {
		grants[a] = access.EditGrant
	}
	return &identity.Principal{User: &identity.User{ID: 1}, IP: "192.0.2.1",
		Subject: access.NewSubject(1, false, classes, []access.Role{{Name: "all", Grants: grants}})}
}

func reextractReader(restricted bool, classes ...int64) *identity.Principal {
	return &identity.Principal{User: &identity.User{ID: 1}, IP: "192.0.2.1",
		Subject: access.NewSubject(1, restricted, classes, []access.Role{{Name: "r", Grants: map[access.Area]access.Grant{
			access.Cases: access.ReadGrant, access.Documents: access.ReadGrant}}})}
}

// newCase inserts a case with classes straight into the tenant's database.
func newCase(t *testing.T, h *tenancy.Handle, number string, classes ...int64) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	now := store.FormatTime(time.Now())
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO cases (number, title, status, opened_on, created_at, updated_at)
			VALUES (?, 'Case', 'open', '2026-01-05', ?, ?) RETURNING id`, number, now, now).Scan(&id); err != nil {
			return err
		}
		return cases.SetClasses(ctx, tx, cases.TypeCase, id, classes)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newClass(t *testing.T, h *tenancy.Handle, name string) int64 {
	t.Helper()
	var id int64
	err := h.DB.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRowContext(context.Background(), `INSERT INTO security_classes (name, name_key) VALUES (?, ?) RETURNING id`,
			name, strings.ToLower(name)).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (w *jobWorld) upload(h *tenancy.Handle, p *identity.Principal, caseID int64, title, description, name, content string) int64 {
	w.t.Helper()
	d, err := w.m.svc.Documents.Create(context.Background(), h, p, caseID, documents.Input{Title: title, Description: description},
		documents.Upload{Filename: name, Body: strings.NewReader(content)})
	if err != nil {
		w.t.Fatal(err)
	}
	return d.ID
}

// found lists the documents a search for q finds for p.
func (w *jobWorld) found(h *tenancy.Handle, p *identity.Principal, q string) []int64 {
	w.t.Helper()
	res, err := search.New().Search(context.Background(), h, p, search.Query{Q: q, Types: []cases.RecordType{cases.TypeDocument}})
	if err != nil {
		w.t.Fatal(err)
	}
	var ids []int64
	for _, hit := range res.Hits {
		ids = append(ids, hit.ID)
	}
	slices.Sort(ids)
	return ids
}

// onePagePDF is a PDF showing text.
func onePagePDF(text string) string {
	content := fmt.Sprintf("BT /F1 24 Tf 72 720 Td (%s) Tj ET", text)
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.String()
}

// The operator's path: a tenant with documents is backed up and restored
// onto a fresh installation (SQLite, or PostgreSQL); the restore queues the
// re-extraction, and until a server has run it the documents are found by
// title and description only. After it, a word only in a file finds its
// document again, and a restricted user still finds only the documents of
// their class. The command queues it again by hand, which changes nothing.
func TestReextractAfterRestore(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			key := filepath.Join(dir, "master.key")
			src := []string{"--data-dir", filepath.Join(dir, "one"), "--master-key-file", key}
			dst := []string{"--data-dir", filepath.Join(dir, "two"), "--master-key-file", key}
			if engine == "postgres" {
				dst = append(dst, "--database", storetest.PostgresDSN(t))
			}
			operatorSignedIn(t, dst...)
			id, err := age.GenerateX25519Identity()
			if err != nil {
				t.Fatal(err)
			}
			idFile := filepath.Join(dir, "backup.key")
			os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600)
			target := "file://" + filepath.Join(dir, "target")
			os.MkdirAll(filepath.Join(dir, "target"), 0o700)

			mustCLI(t, append([]string{"tenant", "create", "acme"}, src...)...)
			one := newJobWorld(t, src)
			h := one.handle("acme")
			secret := newClass(t, h, "Secret")
			open, classed := newCase(t, h, "C-1"), newCase(t, h, "C-2", secret)
			admin := reextractAdmin(secret)
			depo := one.upload(h, admin, open, "Deposition", "Witness statement", "depo.txt", "The witness saw a zeppelin.")
			filing := one.upload(h, admin, open, "Filing", "", "filing.pdf", onePagePDF("Quixotic zeppelin"))
			memo := one.upload(h, admin, classed, "Memo", "", "memo.txt", "A secret zeppelin.")
			one.close()
			mustCLI(t, append([]string{"backup", "run", "acme", "--backup-recipient", id.Recipient().String(), "--backup-target", target}, src...)...)

			out := mustCLI(t, append([]string{"restore", "acme", "--from", target, "--backup-identity", idFile}, dst...)...)
			if !strings.Contains(out, "acme: documents are searchable by title now, and by their text once") {
				t.Fatalf("restore does not say the text follows: %s", out)
			}
			two := newJobWorld(t, dst)
			h = two.handle("acme")
			if got := two.found(h, admin, "zeppelin"); len(got) != 0 {
				t.Fatalf("restored index holds file text before the job: %v", got)
			}
			if got := two.found(h, admin, "witness"); !slices.Equal(got, []int64{depo}) {
				t.Fatalf("restored document not found by its description: %v", got)
			}
			queued := two.reextractJobs("acme")
			if len(queued) != 1 || queued[0].State != jobs.Queued {
				t.Fatalf("jobs after the restore: %+v", queued)
			}

			if n := two.runAll(); n != 1 {
				t.Fatalf("%d jobs ran", n)
			}
			if j := two.reextractJobs("acme")[0]; j.State != jobs.Done {
				t.Fatalf("re-extraction %s: %s", j.State, j.LastError)
			}
			if got := two.found(h, admin, "zeppelin"); !slices.Equal(got, []int64{depo, filing, memo}) {
				t.Fatalf("after the job the search finds %v", got)
			}
			if got := two.found(h, admin, "quixotic"); !slices.Equal(got, []int64{filing}) {
				t.Fatalf("PDF text: %v", got)
			}
			if got := two.found(h, reextractReader(true, secret), "zeppelin"); !slices.Equal(got, []int64{memo}) {
				t.Fatalf("restricted user of Secret finds %v", got)
			}
			if got := two.found(h, reextractReader(false), "zeppelin"); !slices.Equal(got, []int64{depo, filing}) {
				t.Fatalf("user without Secret finds %v", got)
			}
			logs := two.logs.String()
			if !strings.Contains(logs, "re-extracting document text for search") || !strings.Contains(logs, "documents=3") ||
				!strings.Contains(logs, "document text re-extracted") || !strings.Contains(logs, "indexed=3") {
				t.Fatalf("progress not logged:\n%s", logs)
			}
			two.close()

			operatorGranted(t, "acme", dst...)
			out = mustCLI(t, append([]string{"documents", "reextract", "acme"}, dst...)...)
			if !strings.Contains(out, "Queued the re-extraction of acme's document text as job") {
				t.Fatalf("documents reextract: %s", out)
			}
			failCLI(t, `No tenant "other"`, append([]string{"documents", "reextract", "other"}, dst...)...)
			failCLI(t, "slug: ", append([]string{"documents", "reextract", "Not_A_Slug"}, dst...)...)
			three := newJobWorld(t, dst)
			three.runAll()
			if !strings.Contains(three.logs.String(), "indexed=0 unchanged=3 skipped=0") {
				t.Fatalf("a second run changed entries:\n%s", three.logs.String())
			}
			if got := three.found(three.handle("acme"), admin, "zeppelin"); !slices.Equal(got, []int64{depo, filing, memo}) {
				t.Fatalf("after the second run: %v", got)
			}
			three.close()

			// A copy beside the original (--as) seals its files as the
			// original: its re-extraction opens them all the same.
			out = mustCLI(t, append([]string{"restore", "acme", "--as", "acme-copy", "--from", target, "--backup-identity", idFile}, dst...)...)
			if !strings.Contains(out, "acme-copy: documents are searchable by title now") {
				t.Fatalf("restore --as: %s", out)
			}
			four := newJobWorld(t, dst)
			four.runAll()
			if got := four.found(four.handle("acme-copy"), admin, "zeppelin"); !slices.Equal(got, []int64{depo, filing, memo}) {
				t.Fatalf("the copy after its job: %v\n%s", got, four.logs.String())
			}
		})
	}
}

// A re-extraction stopped after one batch (the server stopped) goes on
// with the next batch where the cursor says, not from the start: entries
// of the batch done before are not read again.
func TestReextractResumesAfterCursor(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			s := storage(t)
			if engine == "postgres" {
				s = append(s, "--database", storetest.PostgresDSN(t))
			}
			mustCLI(t, append([]string{"tenant", "create", "firm"}, s...)...)
			w := newJobWorld(t, s)
			ctx := context.Background()
			h := w.handle("firm")
			caseID := newCase(t, h, "C-1")
			var ids []int64
			for i := range 5 {
				ids = append(ids, w.upload(h, reextractAdmin(), caseID, fmt.Sprint("Doc ", i), "", "d.txt", fmt.Sprintf("bodyword%d", i)))
			}
			if _, err := cases.RebuildIndex(ctx, h.DB); err != nil {
				t.Fatal(err)
			}
			if _, err := w.m.queue.Enqueue(ctx, reextractJob("firm", reextractPayload{Batch: 2})); err != nil {
				t.Fatal(err)
			}
			if n, err := w.m.runner.RunDue(ctx); err != nil || n != 1 {
				t.Fatalf("first pass ran %d: %v", n, err)
			}
			list := w.reextractJobs("firm")
			var next reextractPayload
			if len(list) != 2 || list[0].State != jobs.Queued || json.Unmarshal(list[0].Payload, &next) != nil ||
				next.After != ids[1] || next.Batch != 2 || next.Indexed != 2 {
				t.Fatalf("after one batch: %+v", list)
			}
			w.close()

			// While the server is down, the first batch's text goes again:
			// the resumed job must not be the one that puts it back.
			w = newJobWorld(t, s)
			h = w.handle("firm")
			if _, err := cases.RebuildIndex(ctx, h.DB); err != nil {
				t.Fatal(err)
			}
			if n := w.runAll(); n != 2 {
				t.Fatalf("%d jobs ran after the restart, want 2", n)
			}
			for i, id := range ids {
				got := w.found(h, reextractAdmin(), fmt.Sprint("bodyword", i))
				if want := i >= 2; want != slices.Equal(got, []int64{id}) {
					t.Fatalf("after resuming, bodyword%d finds %v", i, got)
				}
			}
			for _, j := range w.reextractJobs("firm") {
				if j.State != jobs.Done {
					t.Fatalf("job %d %s: %s", j.ID, j.State, j.LastError)
				}
			}
			if !strings.Contains(w.logs.String(), "indexed=5 unchanged=0 skipped=0") {
				t.Fatalf("end of the chain not logged with its counts:\n%s", w.logs.String())
			}
		})
	}
}

// A re-extraction job fails closed: for a tenant that is disabled or gone
// by the time it runs it is refused before its handler reads anything, and
// one naming no tenant or a bad cursor is not run.
func TestReextractFailsClosed(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			s := storage(t)
			if engine == "postgres" {
				s = append(s, "--database", storetest.PostgresDSN(t))
			}
			for _, slug := range []string{"idle", "gone", "firm"} {
				mustCLI(t, append([]string{"tenant", "create", slug}, s...)...)
			}
			w := newJobWorld(t, s)
			ctx := context.Background()
			enqueue := func(slug string, payload string) int64 {
				t.Helper()
				j := reextractJob(slug, reextractPayload{})
				if payload != "" {
					j.Payload, j.UniqueKey = json.RawMessage(payload), ""
				}
				id, err := w.m.queue.Enqueue(ctx, j)
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			idle, gone, bad := enqueue("idle", ""), enqueue("gone", ""), enqueue("firm", `{"after":-1}`)
			mustCLI(t, append([]string{"tenant", "disable", "idle"}, s...)...)
			if _, err := w.m.app.db.ExecContext(ctx, `DELETE FROM tenants WHERE slug = ?`, "gone"); err != nil {
				t.Fatal(err)
			}
			if _, err := w.m.queue.Enqueue(ctx, jobs.Job{Kind: reextractKind}); strongroom.ErrorField(err) != "tenant" {
				t.Fatalf("a job naming no tenant: %v", err)
			}
			if _, err := enqueueReextract(ctx, w.m.app.db, "gone"); strongroom.ErrorField(err) != "tenant" {
				t.Fatalf("a job for a missing tenant queued: %v", err)
			}
			w.runAll()
			for id, want := range map[int64]string{
				idle: `Tenant "idle" is disabled; the job was not run.`,
				gone: `Tenant "gone" does not exist; the job was not run.`,
				bad:  "The job's payload is not a re-extraction cursor.",
			} {
				j, err := w.m.queue.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if j.State != jobs.Failed || j.LastError != want || j.Attempts != 1 {
					t.Errorf("job %d for %s: %s after %d attempts, %q; want failed, %q", id, j.Tenant, j.State, j.Attempts, j.LastError, want)
				}
			}
			if strings.Contains(w.logs.String(), "re-extracting document text") {
				t.Fatalf("a refused job's handler ran:\n%s", w.logs.String())
			}
		})
	}
}

// A promotion queues the re-extraction of every tenant it brings live,
// and the promoted installation's runner puts the text back.
func TestReextractAfterPromotion(t *testing.T) {
	r := newStandbyRig(t, false)
	mustCLI(t, append([]string{"tenant", "create", "acme"}, r.primary...)...)
	one := newJobWorld(t, r.primary)
	h := one.handle("acme")
	doc := one.upload(h, reextractAdmin(), newCase(t, h, "C-1"), "Lease", "", "lease.txt", "The lessee keeps a heron.")
	one.close()
	r.backup(t, "acme")
	mustCLI(t, r.once()...)
	out := mustCLI(t, append([]string{"standby", "promote", "--from", r.target, "--backup-identity", r.idFile}, r.standby...)...)
	if !strings.Contains(out, "acme: documents are searchable by title now") {
		t.Fatalf("promote does not say the text follows: %s", out)
	}
	w := newJobWorld(t, r.standby)
	h = w.handle("acme")
	if got := w.found(h, reextractAdmin(), "heron"); len(got) != 0 {
		t.Fatalf("promoted index holds file text before the job: %v", got)
	}
	if n := w.runAll(); n != 1 {
		t.Fatalf("%d jobs ran", n)
	}
	if got := w.found(h, reextractAdmin(), "heron"); !slices.Equal(got, []int64{doc}) {
		t.Fatalf("after the job: %v", got)
	}
}
