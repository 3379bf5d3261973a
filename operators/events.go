package operators

import (
	"context"
	"encoding/json"
	"time"

	"strongroom/store"
)

// Event is one entry of the operator event log in the control plane.
type Event struct {
	ID       int64
	At       time.Time
	Operator string // who acted; '' for an unknown name or the system
	Action   string // e.g. operator.sign_in, tenant.disabled
	Object   string // what it was done to: an operator name, a tenant slug
	SourceIP string
	Details  map[string]string
}

func (s *Service) record(ctx context.Context, tx *store.Tx, ev Event) error {
	details := ""
	if len(ev.Details) > 0 {
		b, _ := json.Marshal(ev.Details)
		details = string(b)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO operator_events (at, operator, action, object, source_ip, details) VALUES (?, ?, ?, ?, ?, ?)`,
		store.FormatTime(s.Now()), ev.Operator, ev.Action, ev.Object, ev.SourceIP, details)
	return err
}

// Record writes one event by op (nil: the system) into the operator event
// log: the console and CLI call it for what they do to tenants.
func (s *Service) Record(ctx context.Context, op *Operator, action, object, ip string, details map[string]string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		return s.record(ctx, tx, Event{Operator: nameOf(op), Action: action, Object: object, SourceIP: ip, Details: details})
	})
}

func nameOf(op *Operator) string {
	if op == nil {
		return ""
	}
	return op.Name
}

// Events returns the newest limit events, newest first.
func (s *Service) Events(ctx context.Context, limit int) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, operator, action, object, source_ip, details FROM operator_events ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var ev Event
		var at, details string
		if err := rows.Scan(&ev.ID, &at, &ev.Operator, &ev.Action, &ev.Object, &ev.SourceIP, &details); err != nil {
			return nil, err
		}
		ev.At, _ = store.ParseTime(at)
		if details != "" {
			json.Unmarshal([]byte(details), &ev.Details)
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}
