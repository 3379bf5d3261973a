package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"strongroom"
	"strongroom/access"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// The demo's multi-district litigation and its two local counsel firms.
const (
	MDLCode       = "MDL 2741"
	MDLName       = "In re Verdant Herbicide Products Liability Litigation"
	MDLDefendant  = "Verdant AgroChem Inc."
	SmithClass    = "MDL 2741 — local counsel Smith LLP"
	JonesClass    = "MDL 2741 — local counsel Jones & Partners"
	DemoCases     = 2000
	demoMDLCases  = 240 // the first cases: 100 with Smith LLP, 100 with Jones & Partners, 40 kept in house
	demoSmithEnd  = 100
	demoJonesEnd  = 200
	demoCasesPerT = 1000
)

// Login is a user the demo made, with the temporary password they must
// change at their first sign-in.
type Login struct {
	Username string
	Password string
	Role     string
	About    string
}

// DemoResult says what Demo made.
type DemoResult struct {
	Logins  []Login
	Cases   int
	Records int // search entries: cases and the records in them
}

// DemoOptions tune Demo; the zero value makes the standard demo.
type DemoOptions struct {
	Cases int       // default DemoCases
	Seed  uint64    // default 2741
	Now   time.Time // default time.Now()
}

// demoUser is a user the demo makes.
type demoUser struct {
	username, name, role, about string
	restricted                  bool
	classes                     []string
}

var demoUsers = []demoUser{
	{"morgan.partner", "Morgan Ellis", access.StaffRole, "partner leading MDL 2741: sees every case, both local counsel firms' included", false, []string{SmithClass, JonesClass}},
	{"pat.paralegal", "Pat Quinn", "Paralegal", "works cases, documents, notes and contacts; no financial records", false, nil},
	{"alex.accounts", "Alex Moreno", "Accountant", "financial records and reports; reads cases", false, nil},
	{"riley.readonly", "Riley Chen", access.ReadOnlyRole, "reads everything not classified; changes nothing", false, nil},
	{"sam.smith", "Sam Smith (Smith LLP)", access.ExternalCounselRole, "local counsel, restricted to the MDL cases assigned to Smith LLP", true, []string{SmithClass}},
	{"jo.jones", "Jo Jones (Jones & Partners)", access.ExternalCounselRole, "local counsel, restricted to the MDL cases assigned to Jones & Partners", true, []string{JonesClass}},
}

// demoRoles are the roles the demo adds to the built-in ones.
var demoRoles = []access.Role{
	{Name: "Paralegal", Description: "Works cases, documents, notes and contacts; reads reports.", Grants: map[access.Area]access.Grant{
		access.Cases: access.EditGrant, access.Documents: access.EditGrant, access.Notes: access.EditGrant,
		access.Contacts: access.EditGrant, access.Reports: access.ReadGrant, access.Financial: access.Deny,
	}},
	{Name: "Accountant", Description: "Keeps financial records; reads cases and reports.", Grants: map[access.Area]access.Grant{
		access.Cases: access.ReadGrant, access.Financial: access.EditGrant, access.Contacts: access.ReadGrant,
		access.Reports: access.ReadGrant, access.Dashboards: access.ReadGrant,
	}},
}

// Demo fills an empty tenant with the demo: two security classes (one per
// local counsel firm), two roles, a user for each role, the MDL and its
// cases, and a few thousand other cases with their records. It refuses a
// tenant that already has cases. The administrator is given both classes,
// so that they see the whole demo.
func Demo(ctx context.Context, h *tenancy.Handle, ids *identity.Service, opts DemoOptions) (*DemoResult, error) {
	if opts.Cases <= 0 {
		opts.Cases = DemoCases
	}
	if opts.Seed == 0 {
		opts.Seed = 2741
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	var n int
	if err := h.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases`).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, strongroom.Errorf(strongroom.ECONFLICT, "The tenant %s already has cases; demo data goes only into an empty tenant.", h.Tenant.Slug)
	}
	admin, err := AdminPrincipal(ctx, h)
	if err != nil {
		return nil, err
	}
	classes, err := ensureClasses(ctx, h, ids, admin, SmithClass, JonesClass)
	if err != nil {
		return nil, err
	}
	logins, err := demoPeople(ctx, h, ids, admin, classes)
	if err != nil {
		return nil, err
	}
	mdl, err := ensureMDL(ctx, h, admin)
	if err != nil {
		return nil, err
	}
	smith, jones := classes[SmithClass], classes[JonesClass]
	records, err := generate(ctx, h, plan{kind: "demo", prose: true, cases: opts.Cases, perTx: demoCasesPerT, seed: opts.Seed, now: opts.Now,
		spec: func(g *textGen, i int) caseSpec {
			switch {
			case i < demoSmithEnd:
				return caseSpec{classes: []int64{smith}, mdlID: mdl, mdlName: MDLDefendant, group: "Litigation"}
			case i < demoJonesEnd:
				return caseSpec{classes: []int64{jones}, mdlID: mdl, mdlName: MDLDefendant, group: "Litigation"}
			case i < demoMDLCases:
				return caseSpec{mdlID: mdl, mdlName: MDLDefendant, group: "Litigation"}
			}
			return caseSpec{}
		}})
	if err != nil {
		return nil, err
	}
	return &DemoResult{Logins: logins, Cases: opts.Cases, Records: records}, nil
}

// AdminPrincipal returns the tenant's first administrator as a principal
// with every grant, for commands that set a tenant up outside a request.
// The audit trail names that administrator.
func AdminPrincipal(ctx context.Context, h *tenancy.Handle) (*identity.Principal, error) {
	var id int64
	err := h.DB.QueryRowContext(ctx, `SELECT id FROM users WHERE username_key = ?`, identity.UsernameKey(identity.FirstAdminName)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "The tenant %s has no user %q to act as.", h.Tenant.Slug, identity.FirstAdminName)
	} else if err != nil {
		return nil, err
	}
	var roles []access.Role
	for _, r := range access.BuiltinRoles() {
		if r.Name == access.AdministratorRole {
			roles = append(roles, r)
		}
	}
	return &identity.Principal{User: &identity.User{ID: id, Username: identity.FirstAdminName},
		Subject: access.NewSubject(id, false, nil, roles)}, nil
}

// ensureClasses returns the ids of the named classes, creating the missing ones.
func ensureClasses(ctx context.Context, h *tenancy.Handle, ids *identity.Service, admin *identity.Principal, names ...string) (map[string]int64, error) {
	have, err := ids.ListClasses(ctx, h, admin)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, c := range have {
		out[c.Name] = c.ID
	}
	for _, name := range names {
		if _, ok := out[name]; ok {
			continue
		}
		c, err := ids.CreateClass(ctx, h, admin, identity.Class{Name: name, Description: "Generated data: " + name})
		if err != nil {
			return nil, fmt.Errorf("create class %q: %w", name, err)
		}
		out[name] = c.ID
	}
	return out, nil
}

// demoPeople makes the demo's roles and users and gives the administrator
// both classes.
func demoPeople(ctx context.Context, h *tenancy.Handle, ids *identity.Service, admin *identity.Principal, classes map[string]int64) ([]Login, error) {
	roles := map[string]int64{}
	have, err := ids.ListRoles(ctx, h, admin)
	if err != nil {
		return nil, err
	}
	for _, r := range have {
		roles[r.Name] = r.ID
	}
	for _, r := range demoRoles {
		if _, ok := roles[r.Name]; ok {
			continue
		}
		saved, err := ids.SaveRole(ctx, h, admin, r)
		if err != nil {
			return nil, fmt.Errorf("create role %q: %w", r.Name, err)
		}
		roles[r.Name] = saved.ID
	}
	var logins []Login
	for _, u := range demoUsers {
		in := identity.UserInput{Username: u.username, DisplayName: u.name, Restricted: u.restricted, RoleIDs: []int64{roles[u.role]}}
		for _, c := range u.classes {
			in.ClassIDs = append(in.ClassIDs, classes[c])
		}
		_, temp, err := ids.CreateUser(ctx, h, admin, in)
		if err != nil {
			return nil, fmt.Errorf("create user %q: %w", u.username, err)
		}
		logins = append(logins, Login{Username: u.username, Password: temp, Role: u.role, About: u.about})
	}
	me, err := ids.GetUser(ctx, h, admin, admin.User.ID)
	if err != nil {
		return nil, err
	}
	_, err = ids.UpdateUser(ctx, h, admin, me.ID, identity.UserInput{Username: me.Username, DisplayName: me.DisplayName, Email: me.Email,
		RoleIDs: me.RoleIDs, ClassIDs: append(me.ClassIDs, classes[SmithClass], classes[JonesClass]), Version: me.Version})
	if err != nil {
		return nil, fmt.Errorf("give the administrator the demo classes: %w", err)
	}
	return logins, nil
}

// ensureMDL returns the id of the demo's MDL group, creating it.
func ensureMDL(ctx context.Context, h *tenancy.Handle, admin *identity.Principal) (int64, error) {
	var id int64
	err := h.DB.QueryRowContext(ctx, `SELECT id FROM mdl_groups WHERE code = ?`, MDLCode).Scan(&id)
	if err == nil {
		return id, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	err = h.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO mdl_groups (code, name) VALUES (?, ?) RETURNING id`, MDLCode, MDLName).Scan(&id); err != nil {
			return err
		}
		_, err := h.Audit.Append(ctx, tx, audit.Event{Actor: admin.AuditActor(), Action: "mdl.create", ObjectType: "mdl",
			ObjectID: strconv.FormatInt(id, 10), Changes: []audit.Change{{Field: "code", After: MDLCode}, {Field: "name", After: MDLName}}})
		return err
	})
	return id, err
}
