package sso

import (
	"context"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Policy is a tenant's single sign-on policy.
type Policy struct {
	// SSOOnly refuses password sign-in to everyone but BreakGlassUserID.
	SSOOnly          bool
	BreakGlassUserID int64
	// ProviderMFA lets a provider's second factor (amr or a configured
	// acr) stand for Strongroom's own.
	ProviderMFA bool
	// JIT creates an unknown identity of a provider's verified domains as
	// a user with JITRoleIDs and JITClassIDs.
	JIT         bool
	JITRoleIDs  []int64
	JITClassIDs []int64
	Version     int
	UpdatedAt   time.Time
}

// PolicyInput is a new policy, edited from Version.
type PolicyInput struct {
	SSOOnly          bool    `json:"sso_only"`
	BreakGlassUserID int64   `json:"break_glass_user_id"`
	ProviderMFA      bool    `json:"provider_mfa"`
	JIT              bool    `json:"jit"`
	JITRoleIDs       []int64 `json:"jit_role_ids"`
	JITClassIDs      []int64 `json:"jit_class_ids"`
	Version          int     `json:"version"`
}

func readPolicy(ctx context.Context, q querier) (*Policy, error) {
	var p Policy
	var only, mfa, jit int
	var roles, classes, updated string
	err := q.QueryRowContext(ctx, `SELECT sso_only, break_glass_user_id, provider_mfa, jit, jit_role_ids, jit_class_ids, version, updated_at
		FROM sso_policy WHERE id = 1`).Scan(&only, &p.BreakGlassUserID, &mfa, &jit, &roles, &classes, &p.Version, &updated)
	if err != nil {
		return nil, err
	}
	p.SSOOnly, p.ProviderMFA, p.JIT = only == 1, mfa == 1, jit == 1
	p.JITRoleIDs, p.JITClassIDs = parseIDs(roles), parseIDs(classes)
	p.UpdatedAt, _ = store.ParseTime(updated)
	return &p, nil
}

// GetPolicy returns the tenant's policy, for administrators.
func (s *Service) GetPolicy(ctx context.Context, h *tenancy.Handle, p *identity.Principal) (*Policy, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	return readPolicy(ctx, h.DB)
}

// UpdatePolicy saves a policy. SSO only needs a break-glass user who is an
// active administrator able to sign in with a password, so that the firm
// is not locked out when its provider fails.
func (s *Service) UpdatePolicy(ctx context.Context, h *tenancy.Handle, p *identity.Principal, in PolicyInput) (*Policy, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	if in.Version <= 0 {
		return nil, strongroom.FieldError("version", "Send the version of the policy you are editing.")
	}
	if in.BreakGlassUserID < 0 {
		return nil, strongroom.FieldError("break_glass_user_id", "Choose a user.")
	}
	if in.SSOOnly {
		if in.BreakGlassUserID == 0 {
			return nil, strongroom.FieldError("break_glass_user_id", "Single sign-on only needs a break-glass administrator who can still sign in with a password, or a failure of the provider locks everyone out.")
		}
		ok, err := s.identity.IsActiveAdmin(ctx, h, in.BreakGlassUserID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, strongroom.FieldError("break_glass_user_id", "The break-glass user must be an active, unlocked administrator.")
		}
	}
	in.JITRoleIDs, in.JITClassIDs = dedupe(in.JITRoleIDs), dedupe(in.JITClassIDs)
	if in.JIT && len(in.JITRoleIDs) == 0 {
		return nil, strongroom.FieldError("jit_role_ids", "Choose the role that users created at their first sign-in get.")
	}
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		before, err := readPolicy(ctx, tx)
		if err != nil {
			return err
		}
		if before.Version != in.Version {
			return errPolicyStale()
		}
		if err := checkIDs(ctx, tx, "roles", "jit_role_ids", in.JITRoleIDs); err != nil {
			return err
		}
		if err := checkIDs(ctx, tx, "security_classes", "jit_class_ids", in.JITClassIDs); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE sso_policy SET sso_only = ?, break_glass_user_id = ?, provider_mfa = ?, jit = ?,
			jit_role_ids = ?, jit_class_ids = ?, version = version + 1, updated_at = ? WHERE id = 1 AND version = ?`,
			b2i(in.SSOOnly), in.BreakGlassUserID, b2i(in.ProviderMFA), b2i(in.JIT), formatIDs(in.JITRoleIDs), formatIDs(in.JITClassIDs),
			store.FormatTime(s.Now()), in.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errPolicyStale()
		}
		return s.record(ctx, tx, h, p.AuditActor(), p.IP, "sso.policy_update", "sso_policy", 1, []audit.Change{
			{Field: "sso_only", Before: before.SSOOnly, After: in.SSOOnly},
			{Field: "break_glass_user_id", Before: before.BreakGlassUserID, After: in.BreakGlassUserID},
			{Field: "provider_mfa", Before: before.ProviderMFA, After: in.ProviderMFA},
			{Field: "jit", Before: before.JIT, After: in.JIT},
			{Field: "jit_role_ids", Before: formatIDs(before.JITRoleIDs), After: formatIDs(in.JITRoleIDs)},
			{Field: "jit_class_ids", Before: formatIDs(before.JITClassIDs), After: formatIDs(in.JITClassIDs)},
		})
	})
	if err != nil {
		return nil, err
	}
	return readPolicy(ctx, h.DB)
}

func errPolicyStale() error {
	return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "version",
		Message: "Someone else changed the single sign-on policy since you opened it. Reload it and make your changes again."}
}

// passwordAllowed is the identity service's PasswordGate: under SSO only,
// the break-glass user alone may use a password.
func (s *Service) passwordAllowed(ctx context.Context, h *tenancy.Handle, userID int64) (bool, error) {
	pol, err := readPolicy(ctx, h.DB)
	if err != nil {
		return false, err
	}
	return !pol.SSOOnly || userID == pol.BreakGlassUserID, nil
}

func checkIDs(ctx context.Context, tx *store.Tx, table, field string, ids []int64) error {
	for _, id := range ids {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n != 1 {
			return strongroom.FieldError(field, "There is no such %s (%d).", strings.TrimSuffix(strings.ReplaceAll(table, "_", " "), "s"), id)
		}
	}
	return nil
}

func parseIDs(s string) []int64 {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}

func formatIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func dedupe(in []int64) []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, id := range in {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func itoa(n int) string { return strconv.Itoa(n) }

// record writes an audit event in tx, the transaction of the change.
func (s *Service) record(ctx context.Context, tx *store.Tx, h *tenancy.Handle, actor audit.Actor, ip, action, objType string, id any, changes []audit.Change) error {
	_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: actor, SourceIP: ip, Action: action, ObjectType: objType,
		ObjectID: strconv.FormatInt(toInt64(id), 10), Changes: changes})
	return err
}

func (s *Service) recordDetails(ctx context.Context, tx *store.Tx, h *tenancy.Handle, actor audit.Actor, ip, action, objType string, id any, details map[string]string) error {
	_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: actor, SourceIP: ip, Action: action, ObjectType: objType,
		ObjectID: strconv.FormatInt(toInt64(id), 10), Details: details})
	return err
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	}
	return 0
}

// SignInOptions is what the tenant's sign-in page offers: its providers'
// buttons, and whether the password form is only for the break-glass
// administrator.
type SignInOptions struct {
	Providers []*Provider
	SSOOnly   bool
}

// SignInOptions reads the sign-in page's options; no principal is needed
// and nothing secret is in them.
func (s *Service) SignInOptions(ctx context.Context, h *tenancy.Handle) (*SignInOptions, error) {
	provs, err := listProviders(ctx, h.DB)
	if err != nil {
		return nil, err
	}
	pol, err := readPolicy(ctx, h.DB)
	if err != nil {
		return nil, err
	}
	return &SignInOptions{Providers: provs, SSOOnly: pol.SSOOnly}, nil
}
