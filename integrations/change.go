package integrations

import (
	"context"
	"fmt"
	"strconv"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Create adds an integration, its credential sealed. It is due at once.
func (s *Service) Create(ctx context.Context, h *tenancy.Handle, p *identity.Principal, in Input) (*Integration, error) {
	if err := canEdit(p); err != nil {
		return nil, err
	}
	if err := in.applyPreset(); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	if in.Connector.Auth.NeedsSecret() && (in.Secret == nil || *in.Secret == "") {
		return nil, strongroom.FieldError("secret", "This authentication needs a credential (%s).", secretName(in.Connector.Auth.Kind))
	}
	config, err := configJSON(in.Connector)
	if err != nil {
		return nil, err
	}
	now := store.FormatTime(s.Now())
	var id int64
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := nameFree(ctx, tx, in.Name, 0); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO integrations (name, label, preset, config, allow_http, interval_seconds,
			enabled, next_run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.Name, in.Label, in.Preset, config, boolInt(in.AllowHTTP), int64(in.Interval.Seconds()), boolInt(in.Enabled),
			now, now, now).Scan(&id); err != nil {
			return fmt.Errorf("insert integration: %w", err)
		}
		if err := s.storeSecret(ctx, tx, h, id, in); err != nil {
			return err
		}
		after := summary(in)
		var changes []audit.Change
		for _, f := range summaryFields {
			changes = append(changes, audit.Change{Field: f, After: after[f]})
		}
		if err := record(ctx, tx, h, p, "integration.create", id, changes, nil); err != nil {
			return err
		}
		if in.AllowHTTP {
			return recordAllowHTTP(ctx, tx, h, p, id, false, true)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r, err := getRow(ctx, h.DB, id)
	if err != nil {
		return nil, err
	}
	return r.it, nil
}

// Update replaces an integration's settings, and its credential when
// in.Secret is given. A changed connector, or one enabled again, is due
// at once with its failures forgotten.
func (s *Service) Update(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64, in Input) (*Integration, error) {
	if err := canEdit(p); err != nil {
		return nil, err
	}
	if err := in.applyPreset(); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	config, err := configJSON(in.Connector)
	if err != nil {
		return nil, err
	}
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		prev, err := getRow(ctx, tx, id)
		if err != nil {
			return err
		}
		if prev.it.Version != in.Version {
			return strongroom.Errorf(strongroom.ECONFLICT, "Someone changed this integration since you opened it; reload it and make your change again.")
		}
		if err := nameFree(ctx, tx, in.Name, id); err != nil {
			return err
		}
		secretKept := in.Secret == nil
		if in.Connector.Auth.NeedsSecret() && (secretKept && (!prev.it.CredentialsSet || prev.it.Connector.Auth.Kind != in.Connector.Auth.Kind) || !secretKept && *in.Secret == "") {
			return strongroom.FieldError("secret", "This authentication needs a credential (%s).", secretName(in.Connector.Auth.Kind))
		}
		before := summary(Input{Name: prev.it.Name, Label: prev.it.Label, Preset: prev.it.Preset, Connector: prev.it.Connector,
			AllowHTTP: prev.it.AllowHTTP, Interval: prev.it.Interval, Enabled: prev.it.Enabled})
		after := summary(in)
		var changes []audit.Change
		for _, f := range summaryFields {
			if before[f] != after[f] {
				changes = append(changes, audit.Change{Field: f, Before: before[f], After: after[f]})
			}
		}
		if !secretKept {
			changes = append(changes, audit.Change{Field: "credentials", Before: prev.it.Credentials(), After: "replaced"})
		} else if !in.Connector.Auth.NeedsSecret() && prev.it.CredentialsSet {
			changes = append(changes, audit.Change{Field: "credentials", Before: "set", After: "removed"})
			empty := ""
			in.Secret = &empty
		}
		if len(changes) == 0 {
			return nil
		}
		due := before["config"] != after["config"] || !prev.it.Enabled && in.Enabled || !secretKept
		if err := s.updateRow(ctx, tx, id, in, config, due); err != nil {
			return err
		}
		if err := s.storeSecret(ctx, tx, h, id, in); err != nil {
			return err
		}
		if err := record(ctx, tx, h, p, "integration.update", id, changes, nil); err != nil {
			return err
		}
		if prev.it.AllowHTTP != in.AllowHTTP {
			return recordAllowHTTP(ctx, tx, h, p, id, prev.it.AllowHTTP, in.AllowHTTP)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r, err := getRow(ctx, h.DB, id)
	if err != nil {
		return nil, err
	}
	return r.it, nil
}

func (s *Service) updateRow(ctx context.Context, tx *store.Tx, id int64, in Input, config string, due bool) error {
	now := store.FormatTime(s.Now())
	q := `UPDATE integrations SET name = ?, label = ?, preset = ?, config = ?, allow_http = ?, interval_seconds = ?,
		enabled = ?, updated_at = ?, version = version + 1`
	args := []any{in.Name, in.Label, in.Preset, config, boolInt(in.AllowHTTP), int64(in.Interval.Seconds()), boolInt(in.Enabled), now}
	if due {
		q += `, next_run_at = ?, failures = 0`
		args = append(args, now)
	}
	if _, err := tx.ExecContext(ctx, q+` WHERE id = ?`, append(args, id)...); err != nil {
		return fmt.Errorf("update integration %d: %w", id, err)
	}
	return nil
}

// storeSecret seals and stores in.Secret when given.
func (s *Service) storeSecret(ctx context.Context, tx *store.Tx, h *tenancy.Handle, id int64, in Input) error {
	if in.Secret == nil {
		return nil
	}
	sealed, err := sealSecret(h, id, *in.Secret)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE integrations SET sealed_credentials = ? WHERE id = ?`, sealed, id); err != nil {
		return fmt.Errorf("store the credential of integration %d: %w", id, err)
	}
	return nil
}

// Delete removes an integration and its credential.
func (s *Service) Delete(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) error {
	if err := canEdit(p); err != nil {
		return err
	}
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		prev, err := getRow(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM integrations WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete integration %d: %w", id, err)
		}
		return record(ctx, tx, h, p, "integration.delete", id, []audit.Change{{Field: "name", Before: prev.it.Name}, {Field: "label", Before: prev.it.Label}}, nil)
	})
}

func nameFree(ctx context.Context, tx *store.Tx, name string, id int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM integrations WHERE name = ? AND id <> ?`, name, id).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return strongroom.FieldError("name", "Another integration is called %q.", name)
	}
	return nil
}

func secretName(kind string) string {
	switch kind {
	case AuthAPIKey:
		return "the API key"
	case AuthBearer:
		return "the access token"
	case AuthBasic:
		return "the password"
	case AuthOAuth2:
		return "the client secret"
	}
	return "none"
}

// summaryFields are what the audit trail records of an integration: its
// settings, never its credential (the config holds none).
var summaryFields = []string{"name", "label", "preset", "config", "allow_http", "interval", "enabled"}

func summary(in Input) map[string]string {
	config, _ := configJSON(in.Connector)
	return map[string]string{
		"name": in.Name, "label": in.Label, "preset": in.Preset, "config": config,
		"allow_http": strconv.FormatBool(in.AllowHTTP), "interval": in.Interval.String(), "enabled": strconv.FormatBool(in.Enabled),
	}
}

// record appends an event about integration id in tx; a nil principal is
// the system (a scheduled pull).
func record(ctx context.Context, tx *store.Tx, h *tenancy.Handle, p *identity.Principal, action string, id int64, changes []audit.Change, details map[string]string) error {
	actor, ip := audit.Actor{Kind: audit.ActorSystem}, ""
	if p != nil {
		actor, ip = p.AuditActor(), p.IP
	}
	_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: actor, SourceIP: ip, Action: action,
		ObjectType: "integration", ObjectID: strconv.FormatInt(id, 10), Changes: changes, Details: details})
	return err
}

// recordAllowHTTP audits plain HTTP being allowed or forbidden again: an
// event of its own, so that the trail can be searched for it.
func recordAllowHTTP(ctx context.Context, tx *store.Tx, h *tenancy.Handle, p *identity.Principal, id int64, before, after bool) error {
	return record(ctx, tx, h, p, "integration.allow_http", id,
		[]audit.Change{{Field: "allow_http", Before: before, After: after}}, nil)
}
