package sso

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/keys"
	"strongroom/store"
	"strongroom/tenancy"
)

// Provider is an identity provider of a tenant. Its client secret is never
// read back: SecretSet says whether one is stored.
type Provider struct {
	ID       int64
	Kind     string
	Name     string
	Issuer   string // for KindOIDC; the others' is fixed
	ClientID string
	// SecretSet is whether a client secret is stored.
	SecretSet bool
	// AllowedDomains are the hosted (Google hd) or e-mail domains an
	// identity must belong to.
	AllowedDomains []string
	// DirectoryID is an Entra provider's directory (tenant) id.
	DirectoryID string
	// MFAACR are acr values that count as the provider's second factor.
	MFAACR    []string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int
}

// ProviderInput is a provider as a form or the API sends it. An empty
// ClientSecret on an update keeps the stored one.
type ProviderInput struct {
	Kind           string   `json:"kind"`
	Name           string   `json:"name"`
	Issuer         string   `json:"issuer"`
	ClientID       string   `json:"client_id"`
	ClientSecret   string   `json:"client_secret"`
	AllowedDomains []string `json:"allowed_domains"`
	DirectoryID    string   `json:"directory_id"`
	MFAACR         []string `json:"mfa_acr"`
	Version        int      `json:"version"`
}

var (
	domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	guidRE   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// MaxDomains bounds a provider's allowed domains.
const MaxDomains = 50

// check validates in for kind, naming every field at fault; creating says
// whether a secret is required.
func (in *ProviderInput) check(creating bool) error {
	var ps strongroom.Problems
	in.Name = strings.TrimSpace(in.Name)
	in.Issuer = strings.TrimSpace(in.Issuer)
	in.ClientID = strings.TrimSpace(in.ClientID)
	in.DirectoryID = strings.ToLower(strings.TrimSpace(in.DirectoryID))
	switch in.Kind {
	case KindGoogle, KindEntra, KindOIDC:
	default:
		ps.Addf("kind", "Choose Google, Microsoft Entra ID or another OpenID Connect provider.")
	}
	if n := len([]rune(in.Name)); n < 1 || n > 60 || strings.ContainsFunc(in.Name, isControl) {
		ps.Addf("name", "Give the provider a name of 1 to 60 characters, as its sign-in button shows it.")
	}
	if in.ClientID == "" || len(in.ClientID) > 300 || strings.ContainsFunc(in.ClientID, isControl) {
		ps.Addf("client_id", "Enter the client id the provider gave for Strongroom (at most 300 characters).")
	}
	if len(in.ClientSecret) > 1000 || strings.ContainsFunc(in.ClientSecret, isControl) {
		ps.Addf("client_secret", "The client secret is at most 1000 characters, without control characters.")
	} else if creating && in.ClientSecret == "" {
		ps.Addf("client_secret", "Enter the client secret the provider gave for Strongroom.")
	}
	switch in.Kind {
	case KindOIDC:
		if !isHTTPS(in.Issuer) || len(in.Issuer) > 500 {
			ps.Addf("issuer", "Enter the provider's issuer URL, starting with https:// (at most 500 characters).")
		}
	case KindEntra:
		switch {
		case in.DirectoryID == "common" || in.DirectoryID == "organizations" || in.DirectoryID == "consumers":
			ps.Addf("directory_id", "Enter your firm's own directory (tenant) id: %q would let any Microsoft account in.", in.DirectoryID)
		case !guidRE.MatchString(in.DirectoryID):
			ps.Addf("directory_id", "Enter your firm's directory (tenant) id, as Entra ID shows it: 8-4-4-4-12 hexadecimal digits.")
		}
		in.Issuer = ""
	default:
		in.Issuer = ""
	}
	if in.Kind != KindEntra {
		in.DirectoryID = ""
	}
	domains, bad := cleanDomains(in.AllowedDomains)
	in.AllowedDomains = domains
	switch {
	case bad != "":
		ps.Addf("allowed_domains", "%q is not a domain name (like firm.example).", bad)
	case len(domains) > MaxDomains:
		ps.Addf("allowed_domains", "At most %d domains.", MaxDomains)
	case in.Kind == KindGoogle && len(domains) == 0:
		ps.Addf("allowed_domains", "Name your firm's Google Workspace domain: any Google account could sign in otherwise.")
	}
	var acr []string
	for _, a := range in.MFAACR {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if len(a) > 200 || strings.ContainsFunc(a, isControl) || strings.ContainsRune(a, ' ') {
			ps.Addf("mfa_acr", "An acr value is one word of at most 200 characters.")
			break
		}
		if !slices.Contains(acr, a) {
			acr = append(acr, a)
		}
	}
	in.MFAACR = acr
	return ps.Err()
}

func cleanDomains(in []string) (out []string, bad string) {
	for _, d := range in {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" {
			continue
		}
		if !domainRE.MatchString(d) {
			return nil, d
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, ""
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func isHTTPS(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && u.RawQuery == "" && u.Fragment == ""
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*store.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *store.Row
}

const providerColumns = `id, kind, name, issuer, client_id, length(sealed_secret), allowed_domains, directory_id, mfa_acr, created_at, updated_at, version`

func scanProvider(row interface{ Scan(...any) error }) (*Provider, error) {
	var p Provider
	var secretLen int
	var domains, acr, created, updated string
	if err := row.Scan(&p.ID, &p.Kind, &p.Name, &p.Issuer, &p.ClientID, &secretLen, &domains, &p.DirectoryID, &acr, &created, &updated, &p.Version); err != nil {
		return nil, err
	}
	p.SecretSet = secretLen > 0
	p.AllowedDomains = strings.Fields(domains)
	p.MFAACR = strings.Fields(acr)
	p.CreatedAt, _ = store.ParseTime(created)
	p.UpdatedAt, _ = store.ParseTime(updated)
	return &p, nil
}

func loadProvider(ctx context.Context, q querier, id int64) (*Provider, error) {
	p, err := scanProvider(q.QueryRowContext(ctx, `SELECT `+providerColumns+` FROM sso_providers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("identity provider")
	}
	return p, err
}

func listProviders(ctx context.Context, q querier) ([]*Provider, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+providerColumns+` FROM sso_providers ORDER BY name, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Provider
	for rows.Next() {
		p, err := scanProvider(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Providers lists the tenant's providers, for administrators.
func (s *Service) Providers(ctx context.Context, h *tenancy.Handle, p *identity.Principal) ([]*Provider, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	return listProviders(ctx, h.DB)
}

// GetProvider returns one provider, for administrators.
func (s *Service) GetProvider(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) (*Provider, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	return loadProvider(ctx, h.DB, id)
}

// CreateProvider adds a provider; its secret is sealed with the tenant key.
func (s *Service) CreateProvider(ctx context.Context, h *tenancy.Handle, p *identity.Principal, in ProviderInput) (*Provider, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	if err := in.check(true); err != nil {
		return nil, err
	}
	var id int64
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := nameFree(ctx, tx, in.Name, 0); err != nil {
			return err
		}
		now := store.FormatTime(s.Now())
		if err := tx.QueryRowContext(ctx, `INSERT INTO sso_providers (kind, name, issuer, client_id, allowed_domains, directory_id, mfa_acr, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.Kind, in.Name, in.Issuer, in.ClientID,
			strings.Join(in.AllowedDomains, " "), in.DirectoryID, strings.Join(in.MFAACR, " "), now, now).Scan(&id); err != nil {
			return err
		}
		if err := setSecret(ctx, tx, h, id, in.ClientSecret); err != nil {
			return err
		}
		return s.record(ctx, tx, h, p.AuditActor(), p.IP, "sso.provider_create", "sso_provider", id, providerChanges(nil, &in))
	})
	if err != nil {
		return nil, err
	}
	return loadProvider(ctx, h.DB, id)
}

// UpdateProvider changes a provider edited from in.Version. Its kind stays.
func (s *Service) UpdateProvider(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64, in ProviderInput) (*Provider, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	before, err := loadProvider(ctx, h.DB, id)
	if err != nil {
		return nil, err
	}
	in.Kind = before.Kind
	if err := in.check(false); err != nil {
		return nil, err
	}
	if in.Version <= 0 {
		return nil, strongroom.FieldError("version", "Send the version of the provider you are editing.")
	}
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := nameFree(ctx, tx, in.Name, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE sso_providers SET name = ?, issuer = ?, client_id = ?, allowed_domains = ?, directory_id = ?,
			mfa_acr = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`, in.Name, in.Issuer, in.ClientID,
			strings.Join(in.AllowedDomains, " "), in.DirectoryID, strings.Join(in.MFAACR, " "), store.FormatTime(s.Now()), id, in.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "version",
				Message: "Someone else changed this provider since you opened it. Reload it and make your changes again."}
		}
		if in.ClientSecret != "" {
			if err := setSecret(ctx, tx, h, id, in.ClientSecret); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, h, p.AuditActor(), p.IP, "sso.provider_update", "sso_provider", id, providerChanges(before, &in))
	})
	if err != nil {
		return nil, err
	}
	return loadProvider(ctx, h.DB, id)
}

// DeleteProvider removes a provider with its links and sign-ins under way.
func (s *Service) DeleteProvider(ctx context.Context, h *tenancy.Handle, p *identity.Principal, id int64) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		var links int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sso_links WHERE provider_id = ?`, id).Scan(&links); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sso_links WHERE provider_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sso_states WHERE provider_id = ?`, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sso_providers WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return notFound("identity provider")
		}
		return s.recordDetails(ctx, tx, h, p.AuditActor(), p.IP, "sso.provider_delete", "sso_provider", id,
			map[string]string{"links_removed": itoa(links)})
	})
}

func nameFree(ctx context.Context, tx *store.Tx, name string, id int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sso_providers WHERE name = ? AND id <> ?`, name, id).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "name", Message: "Another provider has that name."}
	}
	return nil
}

func setSecret(ctx context.Context, tx *store.Tx, h *tenancy.Handle, id int64, secret string) error {
	sealed, err := keys.Seal(h.DataKey(), []byte(secret), sealAAD(h, "client_secret", id))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE sso_providers SET sealed_secret = ? WHERE id = ?`, sealed, id)
	return err
}

func openSecret(ctx context.Context, h *tenancy.Handle, id int64) (string, error) {
	var sealed []byte
	if err := h.DB.QueryRowContext(ctx, `SELECT sealed_secret FROM sso_providers WHERE id = ?`, id).Scan(&sealed); err != nil {
		return "", err
	}
	b, err := keys.OpenSealed(h.DataKey(), sealed, sealAAD(h, "client_secret", id))
	return string(b), err
}

// providerChanges are a provider's audited changes: no secret, only
// whether one was set.
func providerChanges(before *Provider, in *ProviderInput) []audit.Change {
	var b Provider
	if before != nil {
		b = *before
	}
	var out []audit.Change
	add := func(field string, was, now any) {
		if before == nil || !equal(was, now) {
			c := audit.Change{Field: field, After: now}
			if before != nil {
				c.Before = was
			}
			out = append(out, c)
		}
	}
	add("kind", b.Kind, in.Kind)
	add("name", b.Name, in.Name)
	add("issuer", b.Issuer, in.Issuer)
	add("client_id", b.ClientID, in.ClientID)
	add("allowed_domains", strings.Join(b.AllowedDomains, " "), strings.Join(in.AllowedDomains, " "))
	add("directory_id", b.DirectoryID, in.DirectoryID)
	add("mfa_acr", strings.Join(b.MFAACR, " "), strings.Join(in.MFAACR, " "))
	if in.ClientSecret != "" {
		out = append(out, audit.Change{Field: "client_secret", After: "set"})
	}
	return out
}

func equal(a, b any) bool { return a == b }
