package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"strongroom/store"
	"strongroom/witness"
)

// Witnesses are independent services that cosign the tenant's checkpoints
// after checking that each extends the last they saw (package witness).
// With their cosignatures, a checkpoint the tenant holds proves the log was
// not rewritten even by the operator, who holds the signing key.

// SetWitnesses sets the witnesses the checkpointer submits every new
// checkpoint to. Call it before RunCheckpointer.
func (l *Log) SetWitnesses(ws []*witness.Client) {
	l.witnessMu.Lock()
	defer l.witnessMu.Unlock()
	l.witnesses = append([]*witness.Client(nil), ws...)
}

// Cosignature is one witness's cosignature of a checkpoint.
type Cosignature struct {
	Witness     string `json:"witness"` // the witness key's name
	Size        uint64 `json:"size"`
	Cosignature string `json:"cosignature"` // the note signature line(s)
	CreatedAt   string `json:"created_at"`
}

// Cosignatures returns the stored cosignatures of the checkpoint of size.
func (l *Log) Cosignatures(ctx context.Context, size uint64) ([]Cosignature, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT witness, size, cosignature, created_at FROM witness_cosignatures
		WHERE size = ? ORDER BY witness`, int64(size))
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: read cosignatures: %w", l.slug, err)
	}
	defer rows.Close()
	var out []Cosignature
	for rows.Next() {
		var c Cosignature
		var n int64
		if err := rows.Scan(&c.Witness, &n, &c.Cosignature, &c.CreatedAt); err != nil {
			return nil, fmt.Errorf("audit log of %s: read cosignatures: %w", l.slug, err)
		}
		c.Size = uint64(n)
		out = append(out, c)
	}
	return out, rows.Err()
}

// LatestWitnessed returns the newest checkpoint note and its cosignatures:
// the newest checkpoint with at least one cosignature when there is one,
// else the latest checkpoint with none.
func (l *Log) LatestWitnessed(ctx context.Context) (string, []Cosignature, error) {
	var size int64
	err := l.db.QueryRowContext(ctx, `SELECT size FROM witness_cosignatures ORDER BY size DESC LIMIT 1`).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		cp, err := l.LatestCheckpoint(ctx)
		return cp, nil, err
	} else if err != nil {
		return "", nil, fmt.Errorf("audit log of %s: read cosignatures: %w", l.slug, err)
	}
	var msg string
	if err := l.db.QueryRowContext(ctx, `SELECT note FROM audit_checkpoints WHERE size = ?`, size).Scan(&msg); err != nil {
		return "", nil, fmt.Errorf("audit log of %s: read checkpoint %d: %w", l.slug, size, err)
	}
	cs, err := l.Cosignatures(ctx, uint64(size))
	return msg, cs, err
}

// ConsistencyProof returns the proof that the tree at size new extends the
// tree at size old (both at most the committed size).
func (l *Log) ConsistencyProof(ctx context.Context, old, new uint64) ([][]byte, error) {
	if old == 0 || old == new {
		return nil, nil
	}
	return l.consistencyProof(ctx, l.db, old, new)
}

// SubmitToWitnesses submits the latest checkpoint to every witness that
// has not cosigned it, each with the proof from the size it holds, and
// stores their cosignatures. A witness answering 409 is sent the proof from
// the size it names, once. Failures are returned joined; the log itself
// never waits on a witness.
func (l *Log) SubmitToWitnesses(ctx context.Context) error {
	l.witnessMu.Lock()
	ws := l.witnesses
	l.witnessMu.Unlock()
	if len(ws) == 0 {
		return nil
	}
	cp, err := l.latestStored(ctx)
	if err != nil || cp == nil {
		return err
	}
	var errs []error
	for _, w := range ws {
		if err := l.submit(ctx, w, cp); err != nil {
			errs = append(errs, fmt.Errorf("witness %s: %w", w.Verifier.Name(), err))
		}
	}
	return errors.Join(errs...)
}

func (l *Log) submit(ctx context.Context, w *witness.Client, cp *checkpoint) error {
	name := w.Verifier.Name()
	var held int64
	err := l.db.QueryRowContext(ctx, `SELECT size FROM witness_state WHERE witness = ?`, name).Scan(&held)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var have int
	if err := l.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM witness_cosignatures WHERE witness = ? AND size = ?`,
		name, int64(cp.size)).Scan(&have); err != nil {
		return err
	}
	if have > 0 && uint64(held) == cp.size {
		return nil
	}
	old := uint64(held)
	for attempt := 0; ; attempt++ {
		if old > cp.size {
			return fmt.Errorf("the witness holds %d events, more than the log's %d: the log was rolled back or forked", old, cp.size)
		}
		p, err := l.ConsistencyProof(ctx, old, cp.size)
		if err != nil {
			return err
		}
		cosig, err := w.AddCheckpoint(ctx, old, p, []byte(cp.note))
		var conflict *witness.ConflictError
		if errors.As(err, &conflict) && attempt == 0 {
			old = conflict.Size
			if err := l.saveWitnessSize(ctx, name, w.URL, old); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		now := store.FormatTime(l.now())
		return l.db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO witness_cosignatures (witness, size, cosignature, created_at)
				VALUES (?, ?, ?, ?) ON CONFLICT (witness, size) DO NOTHING`, name, int64(cp.size), string(cosig), now); err != nil {
				return err
			}
			return upsertWitnessSize(ctx, tx, name, w.URL, cp.size, now)
		})
	}
}

func (l *Log) saveWitnessSize(ctx context.Context, name, url string, size uint64) error {
	return l.db.InTx(ctx, func(tx *store.Tx) error {
		return upsertWitnessSize(ctx, tx, name, url, size, store.FormatTime(l.now()))
	})
}

func upsertWitnessSize(ctx context.Context, tx *store.Tx, name, url string, size uint64, now string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO witness_state (witness, url, size, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (witness) DO UPDATE SET url = excluded.url, size = excluded.size, updated_at = excluded.updated_at`,
		name, url, int64(size), now)
	return err
}

// submitWitnessesLogged is the checkpointer's call: failures are logged
// and retried at the next tick.
func (l *Log) submitWitnessesLogged(ctx context.Context) {
	if err := l.SubmitToWitnesses(ctx); err != nil && ctx.Err() == nil {
		slog.Warn("audit checkpoint not cosigned", "tenant", l.slug, "err", err)
	}
}
