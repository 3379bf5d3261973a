package integrations

import (
	"context"
	"fmt"
	"strconv"

	"strongroom"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Test fetches an integration once, as a pull would, and returns the
// points it would write, writing none and leaving its status as it was.
// The attempt is audited (it sent the credential out).
func (s *Service) Test(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) ([]Point, error) {
	if err := canEdit(p); err != nil {
		return nil, err
	}
	r, err := getRow(ctx, h.DB, id)
	if err != nil {
		return nil, err
	}
	points, ferr := s.fetch(ctx, h, r)
	details := map[string]string{"result": "ok", "points": strconv.Itoa(len(points))}
	if ferr != nil {
		details = map[string]string{"result": "failed", "error": strongroom.ErrorMessage(ferr)}
	}
	if err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		return record(ctx, tx, h, p, "integration.test", id, nil, details)
	}); err != nil {
		return nil, err
	}
	return points, ferr
}

// fetch opens the credential and pulls once. Its error is safe to show
// and to store: a *strongroom.Error with the credential redacted.
func (s *Service) fetch(ctx context.Context, h *tenancy.Handle, r *row) ([]Point, error) {
	secret, err := openSecret(h, r)
	if err != nil {
		return nil, err
	}
	c := r.it.Connector
	if err := c.Validate(r.it.AllowHTTP); err != nil {
		return nil, redactErr(err, secret)
	}
	return s.Policy.Fetch(ctx, c, secret, r.it.AllowHTTP, s.Now().UTC())
}

// Pull fetches an integration, hands the points to the Sink and records
// the outcome: last run, last success, last error, failures in a row and
// the next run (the interval, doubled per failure in a row). A failure is
// audited as integration.pull_failed. It runs as the system.
func (s *Service) Pull(ctx context.Context, h *tenancy.Handle, id int64) error {
	r, err := getRow(ctx, h.DB, id)
	if err != nil {
		return err
	}
	if !r.it.Enabled {
		return strongroom.Errorf(strongroom.ECONFLICT, "Integration %s is paused.", r.it.Name)
	}
	start := s.Now()
	points, ferr := s.fetch(ctx, h, r)
	if ferr == nil && s.Sink != nil && len(points) > 0 {
		if err := s.Sink.Record(ctx, h, points); err != nil {
			s.log.Error("integration values not stored", "tenant", h.Tenant.Slug, "integration", id, "err", err)
			ferr = strongroom.Errorf(strongroom.EUNAVAILABLE, "The values were fetched but could not be stored; the next pull tries again.")
		}
	}
	if ferr != nil {
		return s.failed(ctx, h, r, ferr)
	}
	next := store.FormatTime(start.Add(r.it.Interval))
	now := store.FormatTime(s.Now())
	if _, err := h.DB.ExecContext(ctx, `UPDATE integrations SET last_run_at = ?, last_success_at = ?, last_error = '',
		failures = 0, next_run_at = ? WHERE id = ?`, store.FormatTime(start), now, next, id); err != nil {
		return fmt.Errorf("record the pull of integration %d: %w", id, err)
	}
	return nil
}

// failed records a failed pull and returns its error.
func (s *Service) failed(ctx context.Context, h *tenancy.Handle, r *row, ferr error) error {
	msg := strongroom.ErrorMessage(ferr)
	failures := r.it.Failures + 1
	at := s.Now()
	next := store.FormatTime(at.Add(backoff(r.it.Interval, failures)))
	s.log.Warn("integration pull failed", "tenant", h.Tenant.Slug, "integration", r.it.ID, "failures", failures, "error", msg)
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE integrations SET last_run_at = ?, last_error = ?, failures = ?, next_run_at = ?
			WHERE id = ?`, store.FormatTime(at), msg, failures, next, r.it.ID); err != nil {
			return fmt.Errorf("record the failed pull of integration %d: %w", r.it.ID, err)
		}
		return record(ctx, tx, h, nil, "integration.pull_failed", r.it.ID, nil,
			map[string]string{"error": msg, "failures": strconv.Itoa(failures)})
	})
	if err != nil {
		return err
	}
	return ferr
}

// PullDue pulls every enabled integration of the tenant whose next run
// has come, one after another, and returns how many it pulled and how
// many of those failed. A failed pull is recorded on its integration and
// does not stop the others; an error is returned only when the
// integrations could not be read or a status not written.
func (s *Service) PullDue(ctx context.Context, h *tenancy.Handle) (pulled, failed int, err error) {
	due, err := listFull(ctx, h.DB, `enabled = 1 AND next_run_at <= ?`, store.FormatTime(s.Now()))
	if err != nil {
		return 0, 0, err
	}
	for _, r := range due {
		if ctx.Err() != nil {
			return pulled, failed, ctx.Err()
		}
		pulled++
		if perr := s.Pull(ctx, h, r.it.ID); perr != nil {
			if !isPullFailure(perr) {
				return pulled, failed, perr
			}
			failed++
		}
	}
	return pulled, failed, nil
}

// isPullFailure tells a failed pull (recorded on its integration) from a
// fault of the database.
func isPullFailure(err error) bool {
	switch strongroom.ErrorCode(err) {
	case strongroom.EUNAVAILABLE, strongroom.EINVALID, strongroom.ECONFLICT, strongroom.ENOTFOUND:
		return true
	}
	return false
}
