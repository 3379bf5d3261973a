package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"strongroom/keys"
	"strongroom/store"
)

// ParseEvent decodes the stored bytes of an event (from a proof bundle or
// an archive). Personal values stay sealed: they are left out.
func ParseEvent(body []byte) (Event, error) {
	s, err := decodeBody(body)
	if err != nil {
		return Event{}, err
	}
	return s.event()
}

func (s *storedEvent) event() (Event, error) {
	t, err := store.ParseTime(s.Time)
	if err != nil {
		return Event{}, err
	}
	e := Event{Seq: s.Seq, Time: t, Actor: Actor{Kind: s.Actor.Kind, ID: s.Actor.ID}, SourceIP: s.IP,
		Action: s.Action, ObjectType: s.Object.Type, ObjectID: s.Object.ID, SubjectID: s.Subject, Details: s.Details}
	for _, c := range s.Changes {
		e.Changes = append(e.Changes, Change{Field: c.Field, Before: c.Before, After: c.After, Personal: c.Sealed != nil})
	}
	return e, nil
}

// Events returns up to limit events after afterSeq, in order, with personal
// values opened. Events whose subject was erased come back with Erased set
// and their personal values absent.
func (l *Log) Events(ctx context.Context, afterSeq int64, limit int) ([]Event, error) {
	stored, err := l.readStored(ctx, l.db, `SELECT body FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	// Keys are read after the rows are closed: SQLite's read pool is small.
	subjects := map[string][]byte{}
	defer func() {
		for _, k := range subjects {
			clear(k)
		}
	}()
	out := make([]Event, 0, len(stored))
	for _, s := range stored {
		e, err := s.event()
		if err != nil {
			return nil, err
		}
		if err := l.openPersonal(ctx, l.db, &e, s, subjects); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// readStored decodes the bodies a query of q returns, closing its rows
// before the caller reads any key (SQLite's read pool is small, and a
// transaction has one connection).
func (l *Log) readStored(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*store.Rows, error)
}, query string, args ...any) ([]*storedEvent, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: read events: %w", l.slug, err)
	}
	defer rows.Close()
	var stored []*storedEvent
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("audit log of %s: read events: %w", l.slug, err)
		}
		s, err := decodeBody(body)
		if err != nil {
			return nil, err
		}
		stored = append(stored, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit log of %s: read events: %w", l.slug, err)
	}
	return stored, nil
}

// rowQuerier is a database or a transaction.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *store.Row
}

// openPersonal fills in e's sealed values, or marks e erased.
func (l *Log) openPersonal(ctx context.Context, q rowQuerier, e *Event, s *storedEvent, subjects map[string][]byte) error {
	if s.Personal == nil && !hasPersonal(e.Changes) {
		return nil
	}
	key, ok := subjects[s.Subject]
	if !ok {
		var sealed []byte
		err := q.QueryRowContext(ctx, `SELECT sealed_key FROM audit_subject_keys WHERE subject_id = ?`, s.Subject).Scan(&sealed)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("audit log of %s: read subject key: %w", l.slug, err)
		}
		if err == nil {
			if key, err = keys.OpenSealed(l.dataKey, sealed, l.subjectAAD(s.Subject)); err != nil {
				return fmt.Errorf("audit log of %s: open subject key: %w", l.slug, err)
			}
		}
		subjects[s.Subject] = key
	}
	if key == nil {
		e.Erased = true
		return nil
	}
	if s.Personal != nil {
		plain, err := keys.OpenSealed(key, s.Personal, l.personalAAD(s.Seq, "personal"))
		if err != nil {
			return fmt.Errorf("audit event %d: personal values do not open: %w", s.Seq, err)
		}
		if err := json.Unmarshal(plain, &e.Personal); err != nil {
			return fmt.Errorf("audit event %d: personal values: %w", s.Seq, err)
		}
	}
	for i, c := range s.Changes {
		if c.Sealed == nil {
			continue
		}
		plain, err := keys.OpenSealed(key, c.Sealed, l.personalAAD(s.Seq, "change:"+c.Field))
		if err != nil {
			return fmt.Errorf("audit event %d: personal change does not open: %w", s.Seq, err)
		}
		var v struct{ Before, After any }
		if err := json.Unmarshal(plain, &v); err != nil {
			return fmt.Errorf("audit event %d: personal change: %w", s.Seq, err)
		}
		e.Changes[i].Before, e.Changes[i].After = v.Before, v.After
	}
	return nil
}

// OpenBodies decodes the stored bytes of events a caller read itself (a
// page of the trail through its own filter) and opens their personal
// values, reading each subject's key once for all of them. Events whose
// subject was erased come back with Erased set.
func (l *Log) OpenBodies(ctx context.Context, bodies [][]byte) ([]Event, error) {
	subjects := map[string][]byte{}
	defer func() {
		for _, k := range subjects {
			clear(k)
		}
	}()
	out := make([]Event, len(bodies))
	for i, body := range bodies {
		s, err := decodeBody(body)
		if err != nil {
			return nil, err
		}
		if out[i], err = s.event(); err != nil {
			return nil, err
		}
		if err := l.openPersonal(ctx, l.db, &out[i], s, subjects); err != nil {
			return nil, err
		}
	}
	return out, nil
}
