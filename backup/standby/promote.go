package standby

import (
	"context"
	"errors"
	"time"

	"strongroom"
	"strongroom/blob"
)

// PromoteOptions bound a promotion.
type PromoteOptions struct {
	// Target, when set, is caught up from first: whatever is newer than the
	// copies held is restored, within CatchUp, so that a primary target
	// that does not answer does not hold up the promotion.
	Target  blob.Store
	CatchUp time.Duration
	// StopWait is how long to wait for a running standby to stop.
	StopWait time.Duration
	DataDir  string
}

// Promoted reports a promotion.
type Promoted struct {
	Results []Result
	// CatchUpStopped is set when the catch-up ran out of time (or the
	// target failed); the copies held before it stay.
	CatchUpStopped bool
	Tenants        []TenantState
}

// Promote ends the standby and makes the installation a primary: it marks
// the role promoting (a running standby sees that within RolePoll and
// stops), takes the standby lock, finishes what a stopped standby left,
// catches up from the target within CatchUp, and marks it promoted. Run
// again after a failure, it goes on from where it stopped.
func Promote(ctx context.Context, s *Service, opt PromoteOptions) (*Promoted, error) {
	role, err := ReadRole(ctx, s.Control)
	if err != nil {
		return nil, err
	}
	switch role {
	case RolePromoted:
		return nil, strongroom.Errorf(strongroom.ECONFLICT, "This installation is already promoted; run \"strongroom serve\".")
	case RoleNone:
		return nil, strongroom.Errorf(strongroom.ECONFLICT, "This installation is not a standby; there is nothing to promote.")
	}
	if err := SetRole(ctx, s.Control, RolePromoting, s.now()); err != nil {
		return nil, err
	}
	lock, err := TryLock(ctx, opt.DataDir, opt.StopWait)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if err := s.Recover(ctx); err != nil {
		return nil, err
	}
	out := &Promoted{}
	if opt.Target != nil {
		cctx, cancel := context.WithTimeout(ctx, opt.CatchUp)
		out.Results, err = s.Pass(cctx, opt.Target)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			out.CatchUpStopped = true
			s.log().Warn("catch-up before promotion stopped; the copies held are promoted", "err", err,
				"timed_out", errors.Is(err, context.DeadlineExceeded))
		}
		// Stopped mid-swap by the deadline: finish it.
		if err := s.Recover(context.WithoutCancel(ctx)); err != nil {
			return nil, err
		}
	}
	if err := SetRole(ctx, s.Control, RolePromoted, s.now()); err != nil {
		return nil, err
	}
	out.Tenants, err = Tenants(ctx, s.Control)
	return out, err
}
