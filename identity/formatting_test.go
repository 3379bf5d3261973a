package identity_test

import (
	"context"
	"testing"

	"strongroom"
	"strongroom/identity"
)

// The tenant's formatting starts as the default, is changed only by an
// administrator, is refused with the field named when a value is bad
// (changing nothing), and each change is audited with before and after.
func TestFormattingSettings(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		got, err := f.svc.Formatting(ctx, f.h)
		if err != nil || got != identity.DefaultFormatting {
			t.Fatalf("new tenant's formatting = %+v, %v", got, err)
		}
		good := identity.Formatting{Locale: "de-DE", TimeZone: "Europe/Berlin", Currency: "EUR"}
		for _, tc := range []struct {
			in    identity.Formatting
			field string
		}{
			{identity.Formatting{Locale: "xx-YY", TimeZone: "Europe/Berlin", Currency: "EUR"}, "locale"},
			{identity.Formatting{Locale: "", TimeZone: "Europe/Berlin", Currency: "EUR"}, "locale"},
			{identity.Formatting{Locale: "de-DE", TimeZone: "Europe/Atlantis", Currency: "EUR"}, "time_zone"},
			{identity.Formatting{Locale: "de-DE", TimeZone: "Local", Currency: "EUR"}, "time_zone"},
			{identity.Formatting{Locale: "de-DE", TimeZone: "", Currency: "EUR"}, "time_zone"},
			{identity.Formatting{Locale: "de-DE", TimeZone: "Europe/Berlin", Currency: "eur"}, "currency"},
			{identity.Formatting{Locale: "de-DE", TimeZone: "Europe/Berlin", Currency: "XYZ"}, "currency"},
		} {
			err := f.svc.UpdateFormatting(ctx, f.h, f.admin, tc.in)
			if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != tc.field {
				t.Errorf("UpdateFormatting(%+v) = %v, want EINVALID on %s", tc.in, err, tc.field)
			}
		}
		if got, _ := f.svc.Formatting(ctx, f.h); got != identity.DefaultFormatting {
			t.Fatalf("refused updates changed the formatting: %+v", got)
		}
		staff, _ := f.newUser("clerk", identity.UserInput{RoleIDs: []int64{f.role("Staff")}})
		if err := f.svc.UpdateFormatting(ctx, f.h, staff, good); strongroom.ErrorCode(err) != strongroom.EFORBIDDEN {
			t.Fatalf("staff changed the formatting: %v", err)
		}
		before := len(f.events("settings.update"))
		if err := f.svc.UpdateFormatting(ctx, f.h, f.admin, good); err != nil {
			t.Fatal(err)
		}
		if got, err := f.svc.Formatting(ctx, f.h); err != nil || got != good {
			t.Fatalf("formatting after update = %+v, %v", got, err)
		}
		if n := len(f.events("settings.update")); n != before+1 {
			t.Fatalf("%d settings.update events, want %d", n, before+1)
		}
		// Saving the same values again changes nothing and audits nothing.
		if err := f.svc.UpdateFormatting(ctx, f.h, f.admin, good); err != nil {
			t.Fatal(err)
		}
		if n := len(f.events("settings.update")); n != before+1 {
			t.Fatalf("an unchanged save was audited")
		}
		evs, _ := f.h.Audit.Events(ctx, 0, 1_000_000)
		last := evs[len(evs)-1]
		if last.Action != "settings.update" || len(last.Changes) != 3 || last.Changes[0].Field != "locale" ||
			last.Changes[0].Before != "en-US" || last.Changes[0].After != "de-DE" {
			t.Fatalf("audit event %+v", last)
		}
		// A value made unusable outside the service falls back to the
		// defaults rather than stopping every page.
		if _, err := f.h.DB.ExecContext(ctx, `UPDATE tenant_settings SET value = 'Nowhere/Else' WHERE name = 'time_zone'`); err != nil {
			t.Fatal(err)
		}
		if got, err := f.svc.Formatting(ctx, f.h); err != nil || got != identity.DefaultFormatting {
			t.Fatalf("formatting with a broken zone = %+v, %v", got, err)
		}
	})
}
