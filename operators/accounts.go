package operators

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"strongroom"
	"strongroom/identity/password"
	"strongroom/store"
)

// NewOperator is what creating an operator takes.
type NewOperator struct {
	Name        string
	DisplayName string
	Role        Role
	Password    string
}

// Listed is an operator as the console's list shows it.
type Listed struct {
	Operator
	Disabled    bool
	TOTPEnabled bool
	Locked      bool
	CreatedAt   string
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9.-]{1,38}[a-z0-9]$`)

// sharedNames are refused as operator names: an account is one person's,
// and a name like these invites a team to share it. Names that merely
// contain one (support.jane) are personal and allowed.
var sharedNames = map[string]bool{
	"admin": true, "administrator": true, "root": true, "operator": true, "operators": true,
	"support": true, "shared": true, "staff": true, "team": true, "ops": true, "helpdesk": true,
	"service": true, "system": true, "sysadmin": true, "superuser": true, "owner": true,
	"strongroom": true, "test": true, "user": true, "guest": true, "default": true, "everyone": true,
}

// CheckName checks a new operator's name: 3–40 lower-case letters, digits,
// dots and hyphens, a personal name (jane.doe), never a role or team name.
func CheckName(name string) error {
	if name == "" {
		return strongroom.FieldError("name", "This field is required.")
	}
	if !nameRE.MatchString(name) {
		return strongroom.FieldError("name", "Use 3 to 40 lower-case letters, digits, dots or hyphens, starting with a letter (for example jane.doe).")
	}
	if sharedNames[name] || sharedNames[strings.TrimRight(name, "0123456789")] {
		return strongroom.FieldError("name", "Operator accounts are personal: use the person's own name (for example jane.doe), not %q.", name)
	}
	return nil
}

func (s *Service) checkNew(n *NewOperator) error {
	n.Name = strings.TrimSpace(n.Name)
	n.DisplayName = strings.TrimSpace(n.DisplayName)
	var p strongroom.Problems
	p.Add(CheckName(n.Name))
	if n.DisplayName == "" {
		n.DisplayName = n.Name
	}
	if len([]rune(n.DisplayName)) > 100 {
		p.Add(strongroom.FieldError("display_name", "Must be at most 100 characters long."))
	}
	if n.Role != RoleOwner && n.Role != RoleStaff {
		p.Add(strongroom.FieldError("role", "Choose owner or staff."))
	}
	// Operators always have a second factor: the lower minimum applies.
	if err := password.Check(n.Password, n.Name, true, n.DisplayName, "strongroom", "operator"); err != nil {
		p.Add(&strongroom.Error{Code: strongroom.EINVALID, Field: "password", Message: strongroom.ErrorMessage(err)})
	}
	return p.Err()
}

// Count returns how many operators exist, disabled ones included.
func (s *Service) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM operators`).Scan(&n)
	return n, err
}

// CreateFirst creates the first operator, an owner, and only while there
// is none: the command line on the server does it, unauthenticated.
func (s *Service) CreateFirst(ctx context.Context, n NewOperator) (*Operator, error) {
	n.Role = RoleOwner
	return s.create(ctx, nil, n, "")
}

// Create creates an operator; only an owner may. The new operator sets up
// their authenticator app at their first console sign-in.
func (s *Service) Create(ctx context.Context, by *Operator, n NewOperator, ip string) (*Operator, error) {
	if by == nil || by.Role != RoleOwner {
		return nil, strongroom.Errorf(strongroom.EFORBIDDEN, "Only an owner may create operators.")
	}
	return s.create(ctx, by, n, ip)
}

func (s *Service) create(ctx context.Context, by *Operator, n NewOperator, ip string) (*Operator, error) {
	if err := s.checkNew(&n); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, n.Password)
	if err != nil {
		return nil, err
	}
	op := &Operator{Name: n.Name, DisplayName: n.DisplayName, Role: n.Role, MustChangePassword: true}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var count, same int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(CASE WHEN name = ? THEN 1 END) FROM operators`, n.Name).Scan(&count, &same); err != nil {
			return err
		}
		if by == nil && count > 0 {
			return strongroom.Errorf(strongroom.EFORBIDDEN, "The first operator exists already; an owner creates the others (identify with --operator and --code).")
		}
		if same > 0 {
			return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "name", Message: fmt.Sprintf("An operator named %q exists already.", n.Name)}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO operators (name, display_name, role, password_hash, must_change_password, created_at) VALUES (?, ?, ?, ?, 1, ?) RETURNING id`,
			n.Name, n.DisplayName, string(n.Role), hash, store.FormatTime(s.Now())).Scan(&op.ID); err != nil {
			return err
		}
		if by == nil {
			ip = cliSource // the first operator is made on the command line
		}
		return s.record(ctx, tx, Event{Operator: nameOf(by), Action: "operator.created", Object: n.Name, SourceIP: ip,
			Details: map[string]string{"role": string(n.Role)}})
	})
	if err != nil {
		return nil, err
	}
	return op, nil
}

// SetDisabled disables or enables an operator; only an owner may, and not
// themselves. Disabling ends every session and CLI token of the operator.
func (s *Service) SetDisabled(ctx context.Context, by *Operator, name string, disabled bool, ip string) error {
	if by == nil || by.Role != RoleOwner {
		return strongroom.Errorf(strongroom.EFORBIDDEN, "Only an owner may disable or enable operators.")
	}
	if name == by.Name {
		return strongroom.Errorf(strongroom.EFORBIDDEN, "You cannot disable your own operator account; ask another owner.")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM operators WHERE name = ?`, name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return strongroom.Errorf(strongroom.ENOTFOUND, "No such operator.")
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE operators SET disabled = ? WHERE id = ?`, boolInt(disabled), id); err != nil {
			return err
		}
		action := "operator.enabled"
		if disabled {
			action = "operator.disabled"
			if err := endAll(ctx, tx, id); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, Event{Operator: by.Name, Action: action, Object: name, SourceIP: ip})
	})
}

// endAll ends every console session and CLI token of an operator.
func endAll(ctx context.Context, tx *store.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM operator_sessions WHERE operator_id = ?`, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM operator_tokens WHERE operator_id = ?`, id)
	return err
}

// List returns every operator by name.
func (s *Service) List(ctx context.Context) ([]Listed, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, display_name, role, disabled, totp_enabled, locked_until, created_at FROM operators ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := s.Now()
	var out []Listed
	for rows.Next() {
		var l Listed
		var role, locked string
		var disabled, totpOn int
		if err := rows.Scan(&l.ID, &l.Name, &l.DisplayName, &role, &disabled, &totpOn, &locked, &l.CreatedAt); err != nil {
			return nil, err
		}
		l.Role, l.Disabled, l.TOTPEnabled = Role(role), disabled == 1, totpOn == 1
		if t, err := store.ParseTime(locked); err == nil && now.Before(t) {
			l.Locked = true
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// credentials is an operator's row as sign-in reads it.
type credentials struct {
	Operator
	hash         string
	totpSecret   []byte
	totpEnabled  bool
	totpLastStep int64
	disabled     bool
	failed       int
	lockedUntil  string
}

func load(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *store.Row
}, where string, arg any) (*credentials, error) {
	var c credentials
	var role string
	var totpOn, disabled, mustChange int
	err := q.QueryRowContext(ctx, `SELECT id, name, display_name, role, password_hash, totp_secret, totp_enabled, totp_last_step, disabled, failed_logins, locked_until, must_change_password
		FROM operators WHERE `+where+` = ?`, arg).Scan(&c.ID, &c.Name, &c.DisplayName, &role, &c.hash, &c.totpSecret, &totpOn, &c.totpLastStep, &disabled, &c.failed, &c.lockedUntil, &mustChange)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	c.Role, c.totpEnabled, c.disabled, c.MustChangePassword = Role(role), totpOn == 1, disabled == 1, mustChange == 1
	return &c, nil
}
