package identity

// HoldStrangerLane takes a tenant's stranger lane, as an attempt from an
// unknown browser does while it is checked, until release is called.
func (svc *Service) HoldStrangerLane(slug string) (release func()) {
	c := svc.lanes.of(slug)
	c <- struct{}{}
	return func() { <-c }
}
