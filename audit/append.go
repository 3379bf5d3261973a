package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/transparency-dev/merkle/compact"

	"strongroom/keys"
	"strongroom/store"
)

// head is the writers' state after the last committed event.
type head struct {
	size   uint64
	root   []byte
	rng    *compact.Range
	lastAt string
}

// Append writes e as the next event, inside the caller's transaction, and
// returns its sequence number. The event commits or rolls back with tx.
func (l *Log) Append(ctx context.Context, tx *store.Tx, e Event) (int64, error) {
	return l.AppendBatch(ctx, tx, []Event{e})
}

// AppendBatch writes events as consecutive events inside tx and returns the
// sequence number of the first. It reads and rewrites the tree head once and
// inserts rows in multi-row statements, which is what makes bulk appends fast.
func (l *Log) AppendBatch(ctx context.Context, tx *store.Tx, events []Event) (first int64, err error) {
	if len(events) == 0 {
		return 0, nil
	}
	for i := range events {
		if err := events[i].validate(); err != nil {
			return 0, err
		}
	}
	h, err := l.lockHead(ctx, tx)
	if err != nil {
		return 0, err
	}
	first = int64(h.size) + 1
	rows := make([]row, len(events))
	var nodes []treeNode
	visit := func(id compact.NodeID, hash []byte) {
		if id.Level > 0 && id.Level%nodeStride == 0 {
			nodes = append(nodes, treeNode{id, hash})
		}
	}
	subjects := newKeyCache() // subject keys for this batch
	defer subjects.clear()
	for i := range events {
		r := &rows[i]
		if err := l.buildRow(ctx, tx, r, &events[i], int64(h.size)+1, h.lastAt, subjects); err != nil {
			return 0, err
		}
		r.leafHash = l.hasher.HashLeaf(r.body)
		if err := h.rng.Append(r.leafHash, visit); err != nil {
			return 0, fmt.Errorf("audit log of %s: extend tree: %w", l.slug, err)
		}
		h.size++
		h.lastAt = r.at
	}
	if err := insertRows(ctx, tx, rows); err != nil {
		return 0, fmt.Errorf("audit log of %s: insert events: %w", l.slug, err)
	}
	if err := insertNodes(ctx, tx, nodes); err != nil {
		return 0, fmt.Errorf("audit log of %s: insert tree nodes: %w", l.slug, err)
	}
	root, err := h.rng.GetRootHash(nil)
	if err != nil {
		return 0, fmt.Errorf("audit log of %s: tree root: %w", l.slug, err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE audit_head SET size = ?, root = ?, frontier = ?, last_at = ? WHERE id = 1`,
		int64(h.size), root, encodeFrontier(h.rng), h.lastAt)
	if err != nil {
		return 0, fmt.Errorf("audit log of %s: update tree head: %w", l.slug, err)
	}
	return first, nil
}

// lockHead reads the tree head for writing. On PostgreSQL the row lock makes
// concurrent appenders wait for each other's commit, so sequence numbers
// follow commit order with no gaps; on SQLite the single writer connection
// and BEGIN IMMEDIATE already serialise them.
func (l *Log) lockHead(ctx context.Context, tx *store.Tx) (*head, error) {
	q := `SELECT size, frontier, last_at FROM audit_head WHERE id = 1`
	if tx.Dialect == store.Postgres {
		q += ` FOR UPDATE`
	}
	var size int64
	var frontier []byte
	var h head
	if err := tx.QueryRowContext(ctx, q).Scan(&size, &frontier, &h.lastAt); err != nil {
		return nil, fmt.Errorf("audit log of %s: lock tree head: %w", l.slug, err)
	}
	h.size = uint64(size)
	rng, err := l.decodeFrontier(h.size, frontier)
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: tree head: %w", l.slug, err)
	}
	h.rng = rng
	return &h, nil
}

// buildRow fills r with the event's columns and canonical bytes.
func (l *Log) buildRow(ctx context.Context, tx *store.Tx, r *row, e *Event, seq int64, lastAt string, subjects *keyCache) error {
	at := store.FormatTime(l.now())
	if at < lastAt { // the clock stepped back: time order must hold for archives
		at = lastAt
	}
	*r = row{seq: seq, at: at, actorKind: e.Actor.Kind, actorID: e.Actor.ID, sourceIP: e.SourceIP,
		action: e.Action, objectType: e.ObjectType, objectID: e.ObjectID, subjectID: e.SubjectID}
	tail := storedTail{Details: e.Details}
	var skey []byte
	switch {
	case e.SubjectID == "" || (len(e.Personal) == 0 && !hasPersonal(e.Changes)):
	case IsTextSubject(e.SubjectID):
		id, k, err := l.textKey(ctx, tx, e.SubjectID, subjects)
		if err != nil {
			return err
		}
		r.subjectID, skey = id, k
	default:
		k, err := l.subjectKey(ctx, tx, e.SubjectID, subjects.keys)
		if err != nil {
			return err
		}
		skey = k
	}
	for _, c := range e.Changes {
		sc := storedChange{Field: c.Field, Before: c.Before, After: c.After}
		if c.Personal {
			plain, err := json.Marshal(map[string]any{"before": c.Before, "after": c.After})
			if err != nil {
				return fmt.Errorf("audit event %d: encode change of %s: %w", seq, c.Field, err)
			}
			if sc.Sealed, err = keys.Seal(skey, plain, l.personalAAD(seq, "change:"+c.Field)); err != nil {
				return fmt.Errorf("audit event %d: seal change: %w", seq, err)
			}
			sc.Before, sc.After = nil, nil
		}
		tail.Changes = append(tail.Changes, sc)
	}
	if len(e.Personal) > 0 {
		plain, err := json.Marshal(e.Personal)
		if err != nil {
			return fmt.Errorf("audit event %d: encode personal values: %w", seq, err)
		}
		if tail.Personal, err = keys.Seal(skey, plain, l.personalAAD(seq, "personal")); err != nil {
			return fmt.Errorf("audit event %d: seal personal values: %w", seq, err)
		}
	}
	body, err := encodeBody(r, &tail)
	if err != nil {
		return err
	}
	r.body = body
	return nil
}

func hasPersonal(cs []Change) bool {
	for _, c := range cs {
		if c.Personal {
			return true
		}
	}
	return false
}

// personalAAD binds a sealed value to its tenant, event and place, so it
// cannot be moved to another event unnoticed.
func (l *Log) personalAAD(seq int64, what string) []byte {
	return []byte(l.origin + "\n" + strconv.FormatInt(seq, 10) + "\n" + what)
}

func (l *Log) subjectAAD(subjectID string) []byte {
	return []byte("strongroom audit subject key " + l.sealedAs + "\n" + subjectID)
}

// subjectKey returns the key of subjectID, creating it in tx if needed.
func (l *Log) subjectKey(ctx context.Context, tx *store.Tx, subjectID string, cache map[string][]byte) ([]byte, error) {
	if k, ok := cache[subjectID]; ok {
		return k, nil
	}
	var sealed []byte
	err := tx.QueryRowContext(ctx, `SELECT sealed_key FROM audit_subject_keys WHERE subject_id = ?`, subjectID).Scan(&sealed)
	var k []byte
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if k, err = keys.NewDataKey(); err != nil {
			return nil, err
		}
		if sealed, err = keys.Seal(l.dataKey, k, l.subjectAAD(subjectID)); err != nil {
			return nil, fmt.Errorf("audit log of %s: seal subject key: %w", l.slug, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_subject_keys (subject_id, sealed_key, created_at) VALUES (?, ?, ?)`,
			subjectID, sealed, store.FormatTime(l.now()))
		if err != nil {
			return nil, fmt.Errorf("audit log of %s: store subject key: %w", l.slug, err)
		}
	case err != nil:
		return nil, fmt.Errorf("audit log of %s: read subject key: %w", l.slug, err)
	default:
		if k, err = keys.OpenSealed(l.dataKey, sealed, l.subjectAAD(subjectID)); err != nil {
			return nil, fmt.Errorf("audit log of %s: open subject key: %w", l.slug, err)
		}
	}
	cache[subjectID] = k
	return k, nil
}

// EraseSubject deletes the key of subjectID inside tx. The personal values
// of every event about that subject become unreadable; the stored events,
// their leaf hashes and the signed checkpoints stay valid. The caller writes
// the event recording the erasure in the same transaction.
func (l *Log) EraseSubject(ctx context.Context, tx *store.Tx, subjectID string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM audit_subject_keys WHERE subject_id = ?`, subjectID); err != nil {
		return fmt.Errorf("audit log of %s: erase subject key: %w", l.slug, err)
	}
	return nil
}

const eventColumns = `seq, at, actor_kind, actor_id, source_ip, action, object_type, object_id, subject_id, body, leaf_hash`

var eventPlaceholders = "(" + store.Placeholders(11) + ")"

// insertChunk bounds the rows per INSERT: 11 parameters each stays far
// below SQLite's and PostgreSQL's parameter limits.
const insertChunk = 200

func insertRows(ctx context.Context, tx *store.Tx, rows []row) error {
	for len(rows) > 0 {
		n := min(len(rows), insertChunk)
		var q strings.Builder
		q.WriteString(`INSERT INTO audit_events (` + eventColumns + `) VALUES `)
		args := make([]any, 0, n*11)
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(eventPlaceholders)
			args = append(args, r.seq, r.at, r.actorKind, r.actorID, r.sourceIP, r.action,
				r.objectType, r.objectID, r.subjectID, r.body, r.leafHash)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func insertNodes(ctx context.Context, tx *store.Tx, nodes []treeNode) error {
	for _, n := range nodes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_tree_nodes (level, idx, hash) VALUES (?, ?, ?)`,
			int64(n.id.Level), int64(n.id.Index), n.hash); err != nil {
			return err
		}
	}
	return nil
}
