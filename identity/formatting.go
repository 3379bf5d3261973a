package identity

import (
	"context"
	"fmt"

	"strongroom"
	"strongroom/audit"
	"strongroom/format"
	"strongroom/store"
	"strongroom/tenancy"
)

// Formatting is how a tenant's pages, exports and reports write money,
// numbers and times: a locale, a time zone and a default currency.
type Formatting struct {
	Locale   string // one of format.Locales ("en-GB")
	TimeZone string // an IANA time zone name ("Europe/London")
	Currency string // an ISO 4217 code ("GBP")
}

// DefaultFormatting is a new tenant's formatting, that of format.Default.
var DefaultFormatting = Formatting{
	Locale:   format.Default.Locale(),
	TimeZone: format.Default.Zone().String(),
	Currency: format.Default.Currency(),
}

// formattingNames are the settings' names in tenant_settings, the API and
// the audit log.
var formattingNames = []string{"locale", "time_zone", "currency"}

func (f Formatting) values() map[string]string {
	return map[string]string{"locale": f.Locale, "time_zone": f.TimeZone, "currency": f.Currency}
}

// Validate checks the formatting, naming the field at fault.
func (f Formatting) Validate() error {
	_, err := f.Formatter()
	return err
}

// Formatter is the formatter the settings describe; a bad setting is an
// EINVALID error naming its field (locale, time_zone or currency).
func (f Formatting) Formatter() (*format.Formatter, error) {
	if !format.KnownLocale(f.Locale) {
		return nil, strongroom.FieldError("locale", "Choose a locale from the list.")
	}
	fm, err := format.New(f.Locale, f.TimeZone, f.Currency)
	if strongroom.ErrorField(err) == "zone" {
		return nil, strongroom.FieldError("time_zone", "%s", strongroom.ErrorMessage(err))
	}
	return fm, err
}

// loadFormatting reads the formatting; unset or unusable values keep their
// defaults, so a page can always be shown.
func loadFormatting(ctx context.Context, q rowsQuerier) (Formatting, error) {
	f := DefaultFormatting
	rows, err := q.QueryContext(ctx, `SELECT name, value FROM tenant_settings`)
	if err != nil {
		return f, fmt.Errorf("read tenant settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return f, err
		}
		switch name {
		case "locale":
			f.Locale = value
		case "time_zone":
			f.TimeZone = value
		case "currency":
			f.Currency = value
		}
	}
	if err := rows.Err(); err != nil {
		return f, err
	}
	if f.Validate() != nil {
		return DefaultFormatting, nil
	}
	return f, nil
}

// Formatting returns the tenant's formatting. It is no secret and every
// page needs it, the sign-in page included, so it asks for no principal.
func (svc *Service) Formatting(ctx context.Context, h *tenancy.Handle) (Formatting, error) {
	return loadFormatting(ctx, h.DB)
}

// UpdateFormatting replaces the tenant's formatting; administrators only.
// The change is audited with the values before and after.
func (svc *Service) UpdateFormatting(ctx context.Context, h *tenancy.Handle, p *Principal, next Formatting) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	if err := next.Validate(); err != nil {
		return err
	}
	return inTx(ctx, h, func(tx *store.Tx) error {
		prev, err := loadFormatting(ctx, tx)
		if err != nil {
			return err
		}
		before, after := prev.values(), next.values()
		var changes []audit.Change
		for _, name := range formattingNames {
			if before[name] == after[name] {
				continue
			}
			changes = append(changes, audit.Change{Field: name, Before: before[name], After: after[name]})
			if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_settings (name, value) VALUES (?, ?)
				ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, after[name]); err != nil {
				return fmt.Errorf("store setting %s: %w", name, err)
			}
		}
		if len(changes) == 0 {
			return nil
		}
		return record(ctx, tx, h, p.actor(), p.ip(), event{action: "settings.update", objectType: "settings", changes: changes})
	})
}
