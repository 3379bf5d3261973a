package identity_test

import (
	"context"
	"testing"

	"strongroom"
)

// A database that fails while a signed-in user changes their password or a
// half-signed-in one enters their code is a fault (503), never "your
// session has ended": the session is still good.
func TestDatabaseFaultIsNotAnEndedSession(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.h.DB.Close()
		if _, err := f.svc.ChangePassword(ctx, f.h, f.admin, f.adminPW, "a different long passphrase for the office", "test"); strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE {
			t.Errorf("change password with the database down: %v, want EUNAVAILABLE", err)
		}
		if _, err := f.svc.SecondFactor(ctx, f.h, "a half session's token", "123456", "192.0.2.1", "test", ""); strongroom.ErrorCode(err) != strongroom.EUNAVAILABLE {
			t.Errorf("second factor with the database down: %v, want EUNAVAILABLE", err)
		}
	})
}
