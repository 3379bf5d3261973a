package main

import (
	"context"

	"strongroom/identity"
	"strongroom/kiosk"
	"strongroom/tenancy"
)

// KioskConfig tunes the kiosk links' service.
type KioskConfig struct {
	// Guard is how many failed token lookups are allowed (zero:
	// kiosk.DefaultGuard).
	Guard kiosk.GuardConfig
	// DashboardExists checks the dashboards a link shows (nil: the
	// dashboards service's Visible; tests set their own).
	DashboardExists func(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) (bool, error)
	// NoFloor drops the least time a refused token takes (tests).
	NoFloor bool
}

// kioskService builds the kiosk links' service.
func (m *Main) kioskService() *kiosk.Service {
	c := m.Config.Kiosk
	s := kiosk.New(m.Log)
	if c.Guard != (kiosk.GuardConfig{}) {
		s.Guard = kiosk.NewGuard(c.Guard, s.Now)
	}
	s.DashboardExists = c.DashboardExists
	if s.DashboardExists == nil { // tests that stand in for dashboards name them by number
		s.DashboardExists, s.DashboardTitle = m.dashboards.Visible, m.dashboards.KioskTitle
	}
	if c.NoFloor {
		s.NotFoundFloor = 0
	}
	return s
}
