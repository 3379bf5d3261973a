// Package seed fills a tenant with generated data: a realistic demo tenant
// (practice groups, an MDL with two local counsel firms, users for each
// role, a few thousand cases) and, for benchmarks, any number of records.
//
// Rows are written by direct SQL in bulk — multi-row INSERTs with explicit
// ids, in large transactions — because going through the case services
// one record at a time would take hours at a million records. The rows
// keep every invariant those services keep: each record's effective
// security classes are in record_classes (its own, or copied from its
// case, as cases.SetRecordClasses writes them), and each record has its
// search_index entry (as cases.Index writes it; on SQLite the FTS table
// follows through its triggers). Each transaction writes one audit event
// saying what was generated. Users, roles and classes are made through
// package identity, so they are validated and audited like any other.
package seed

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"strongroom/audit"
	"strongroom/store"
	"strongroom/tenancy"
)

// Progress is told, after each transaction, how many cases and search
// entries (cases and records) have been written so far.
type Progress func(cases, records int)

// plan is one bulk generation: how many cases, what each one is, how many
// go into one transaction.
type plan struct {
	kind   string // "demo" or "bench", for the audit event
	prose  bool   // text for people to read (the demo), not for measuring
	cases  int
	perTx  int
	seed   uint64
	now    time.Time
	spec   func(g *textGen, i int) caseSpec
	report Progress
}

// generate writes the plan's cases and records. It returns the number of
// search entries written.
func generate(ctx context.Context, h *tenancy.Handle, p plan) (int, error) {
	g := newTextGen(p.seed)
	if p.prose {
		g = newProseGen(p.seed)
	}
	total := 0
	for done := 0; done < p.cases; {
		n := min(p.perTx, p.cases-done)
		var written int
		err := h.DB.InTx(ctx, func(tx *store.Tx) error {
			w := newWriter(h.DB.Dialect)
			if err := w.start(ctx, tx); err != nil {
				return err
			}
			gen := newGenerator(g, w, p.now)
			for i := done; i < done+n; i++ {
				gen.addCase(p.spec(g, i))
				if w.pending >= 5000 {
					if err := w.flush(ctx, tx); err != nil {
						return err
					}
				}
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := w.flush(ctx, tx); err != nil {
				return err
			}
			if err := w.finish(ctx, tx); err != nil {
				return err
			}
			written = gen.records
			_, err := h.Audit.Append(ctx, tx, audit.Event{
				Actor: audit.Actor{Kind: audit.ActorSystem}, Action: "data.generate", ObjectType: "tenant", ObjectID: h.Tenant.Slug,
				Details: map[string]string{"kind": p.kind, "cases": strconv.Itoa(n), "records": strconv.Itoa(written)},
			})
			return err
		})
		if err != nil {
			return total, fmt.Errorf("generate cases %d to %d: %w", done+1, done+n, err)
		}
		done += n
		total += written
		if p.report != nil {
			p.report(done, total)
		}
	}
	return total, nil
}
