package access_test

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"strongroom"
	"strongroom/access"
)

func TestAreas(t *testing.T) {
	t.Run("ordered and unique", func(t *testing.T) {
		want := []access.Area{access.Cases, access.Documents, access.Financial, access.Contacts, access.Notes,
			access.Reports, access.Dashboards, access.Audit, access.Administration}
		if got := access.Areas(); !slices.Equal(got, want) {
			t.Fatalf("Areas() = %v, want %v", got, want)
		}
	})
	t.Run("caller owns the slice", func(t *testing.T) {
		a := access.Areas()
		a[0] = "mutated"
		if access.Areas()[0] != access.Cases {
			t.Fatal("Areas() shares its backing array")
		}
	})
	t.Run("labels", func(t *testing.T) {
		if got := access.Financial.Label(); got != "financial records" {
			t.Errorf("Financial.Label() = %q", got)
		}
		for _, a := range access.Areas() {
			if a.Label() == "" {
				t.Errorf("%s has no label", a)
			}
		}
	})
}

func TestParseArea(t *testing.T) {
	for _, a := range access.Areas() {
		t.Run("valid/"+string(a), func(t *testing.T) {
			got, err := access.ParseArea(string(a))
			if err != nil || got != a {
				t.Fatalf("ParseArea(%q) = %q, %v", a, got, err)
			}
		})
	}
	for _, s := range []string{"", " cases", "Cases", "CASES", "case", "financial records", "admin", "cases\x00", "*"} {
		t.Run("invalid/"+s, func(t *testing.T) {
			got, err := access.ParseArea(s)
			assertInvalid(t, err, "area")
			if got != "" {
				t.Errorf("ParseArea(%q) returned area %q with an error", s, got)
			}
			if strings.Contains(strongroom.ErrorMessage(err), strconv.Quote(s)) {
				t.Errorf("message echoes the input: %q", strongroom.ErrorMessage(err))
			}
		})
	}
}

func TestParseGrant(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want access.Grant
	}{
		{"deny", access.Deny}, {"read", access.ReadGrant}, {"edit", access.EditGrant},
		{"", access.NoGrant}, {"none", access.NoGrant},
	} {
		t.Run("valid/"+tc.in, func(t *testing.T) {
			got, err := access.ParseGrant(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("ParseGrant(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
	for _, s := range []string{"Deny", "EDIT", " read", "write", "admin", "allow", "no", "null", "edit\n"} {
		t.Run("invalid/"+s, func(t *testing.T) {
			got, err := access.ParseGrant(s)
			assertInvalid(t, err, "grant")
			if got != "" {
				t.Errorf("ParseGrant(%q) returned grant %q with an error", s, got)
			}
		})
	}
}

func assertInvalid(t *testing.T, err error, field string) {
	t.Helper()
	if code := strongroom.ErrorCode(err); code != strongroom.EINVALID {
		t.Fatalf("error code = %q (%v), want %q", code, err, strongroom.EINVALID)
	}
	if f := strongroom.ErrorField(err); f != field {
		t.Errorf("error field = %q, want %q", f, field)
	}
}

// TestEffective combines grants on one area, the others left ungranted, for
// every area.
func TestEffective(t *testing.T) {
	const bogus access.Grant = "admin" // a damaged value: must fail closed
	tests := []struct {
		name   string
		grants [][]access.Grant // one inner slice per role; NoGrant = area left out
		want   access.Level
	}{
		{"no roles", nil, access.None},
		{"role without grant", [][]access.Grant{{access.NoGrant}}, access.None},
		{"explicit NoGrant entry", [][]access.Grant{{"explicit-empty"}}, access.None},
		{"read", [][]access.Grant{{access.ReadGrant}}, access.Read},
		{"edit", [][]access.Grant{{access.EditGrant}}, access.Edit},
		{"deny", [][]access.Grant{{access.Deny}}, access.None},
		{"read and edit", [][]access.Grant{{access.ReadGrant}, {access.EditGrant}}, access.Edit},
		{"edit and read", [][]access.Grant{{access.EditGrant}, {access.ReadGrant}}, access.Edit},
		{"read and no grant", [][]access.Grant{{access.ReadGrant}, {access.NoGrant}}, access.Read},
		{"deny wins over edit", [][]access.Grant{{access.EditGrant}, {access.Deny}}, access.None},
		{"deny first wins over edit", [][]access.Grant{{access.Deny}, {access.EditGrant}}, access.None},
		{"deny wins over read and edit", [][]access.Grant{{access.ReadGrant}, {access.Deny}, {access.EditGrant}}, access.None},
		{"unknown grant is deny", [][]access.Grant{{bogus}}, access.None},
		{"unknown grant beats edit", [][]access.Grant{{access.EditGrant}, {bogus}}, access.None},
	}
	for _, area := range access.Areas() {
		for _, tc := range tests {
			t.Run(string(area)+"/"+tc.name, func(t *testing.T) {
				var roles []access.Role
				for _, gs := range tc.grants {
					r := access.Role{Name: "r", Grants: map[access.Area]access.Grant{}}
					for _, g := range gs {
						switch g {
						case access.NoGrant:
						case "explicit-empty":
							r.Grants[area] = access.NoGrant
						default:
							r.Grants[area] = g
						}
					}
					roles = append(roles, r)
				}
				got := access.Effective(roles)
				if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(slices.Values(access.Areas()))) {
					t.Fatalf("Effective has areas %v, want every area", slices.Sorted(maps.Keys(got)))
				}
				for a, l := range got {
					want := access.None
					if a == area {
						want = tc.want
					}
					if l != want {
						t.Errorf("level for %s = %v, want %v", a, l, want)
					}
				}
			})
		}
	}
	t.Run("areas are independent", func(t *testing.T) {
		roles := []access.Role{
			{Grants: map[access.Area]access.Grant{access.Cases: access.EditGrant, access.Financial: access.ReadGrant, access.Audit: access.Deny}},
			{Grants: map[access.Area]access.Grant{access.Audit: access.EditGrant, access.Notes: access.ReadGrant, "unknown-area": access.EditGrant}},
		}
		got := access.Effective(roles)
		want := map[access.Area]access.Level{
			access.Cases: access.Edit, access.Documents: access.None, access.Financial: access.Read,
			access.Contacts: access.None, access.Notes: access.Read, access.Reports: access.None,
			access.Dashboards: access.None, access.Audit: access.None, access.Administration: access.None,
		}
		if !maps.Equal(got, want) {
			t.Fatalf("Effective = %v, want %v", got, want)
		}
	})
}

func TestBuiltinRoles(t *testing.T) {
	roles := access.BuiltinRoles()
	byName := map[string]access.Role{}
	for _, r := range roles {
		byName[r.Name] = r
	}
	t.Run("all valid and built in", func(t *testing.T) {
		if len(byName) != 4 || len(roles) != 4 {
			t.Fatalf("want 4 distinct roles, got %d (%d names)", len(roles), len(byName))
		}
		for _, r := range roles {
			if err := r.Validate(); err != nil {
				t.Errorf("%s: %v", r.Name, err)
			}
			if !r.Builtin || r.ID != 0 || r.Description == "" {
				t.Errorf("%s: Builtin=%v ID=%d Description=%q", r.Name, r.Builtin, r.ID, r.Description)
			}
		}
	})
	level := func(name string) map[access.Area]access.Level {
		r, ok := byName[name]
		if !ok {
			t.Fatalf("no built-in role %q", name)
		}
		return access.Effective([]access.Role{r})
	}
	check := func(t *testing.T, name string, want map[access.Area]access.Level) {
		t.Helper()
		got := level(name)
		for _, a := range access.Areas() {
			if got[a] != want[a] {
				t.Errorf("%s on %s = %v, want %v", name, a, got[a], want[a])
			}
		}
	}
	t.Run("administrator edits every area", func(t *testing.T) {
		want := map[access.Area]access.Level{}
		for _, a := range access.Areas() {
			want[a] = access.Edit
		}
		check(t, access.AdministratorRole, want)
	})
	t.Run("staff", func(t *testing.T) {
		check(t, access.StaffRole, map[access.Area]access.Level{
			access.Cases: access.Edit, access.Documents: access.Edit, access.Financial: access.Edit,
			access.Contacts: access.Edit, access.Notes: access.Edit,
			access.Reports: access.Read, access.Dashboards: access.Read,
		})
	})
	t.Run("read-only never edits", func(t *testing.T) {
		check(t, access.ReadOnlyRole, map[access.Area]access.Level{
			access.Cases: access.Read, access.Documents: access.Read, access.Financial: access.Read,
			access.Contacts: access.Read, access.Notes: access.Read,
			access.Reports: access.Read, access.Dashboards: access.Read,
		})
	})
	t.Run("external counsel", func(t *testing.T) {
		check(t, access.ExternalCounselRole, map[access.Area]access.Level{
			access.Cases: access.Edit, access.Documents: access.Edit, access.Notes: access.Edit,
			access.Contacts: access.Read,
		})
	})
	t.Run("external counsel denies even with staff", func(t *testing.T) {
		got := access.Effective([]access.Role{byName[access.StaffRole], byName[access.ExternalCounselRole]})
		for _, a := range []access.Area{access.Financial, access.Audit, access.Administration} {
			if got[a] != access.None {
				t.Errorf("staff + external counsel on %s = %v, want none", a, got[a])
			}
		}
	})
	t.Run("fresh maps each call", func(t *testing.T) {
		access.BuiltinRoles()[0].Grants[access.Cases] = access.Deny
		if access.BuiltinRoles()[0].Grants[access.Cases] != access.EditGrant {
			t.Fatal("BuiltinRoles shares its maps")
		}
	})
}

func TestRoleValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		role  access.Role
		field string
	}{
		{"ok", access.Role{Name: "Paralegal", Grants: map[access.Area]access.Grant{access.Cases: access.ReadGrant}}, ""},
		{"NoGrant entry ok", access.Role{Name: "Paralegal", Grants: map[access.Area]access.Grant{access.Cases: access.NoGrant}}, ""},
		{"no name", access.Role{Name: "  "}, "name"},
		{"long name", access.Role{Name: strings.Repeat("x", 101)}, "name"},
		{"long description", access.Role{Name: "x", Description: strings.Repeat("x", 1001)}, "description"},
		{"unknown area", access.Role{Name: "x", Grants: map[access.Area]access.Grant{"cellar": access.ReadGrant}}, "area"},
		{"unknown grant", access.Role{Name: "x", Grants: map[access.Area]access.Grant{access.Cases: "write"}}, "grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.role.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			assertInvalid(t, err, tc.field)
		})
	}
}

func TestRequire(t *testing.T) {
	s := access.NewSubject(1, false, nil, []access.Role{{Grants: map[access.Area]access.Grant{
		access.Cases: access.EditGrant, access.Financial: access.ReadGrant, access.Audit: access.Deny,
	}}})
	for _, tc := range []struct {
		name string
		subj *access.Subject
		area access.Area
		need access.Level
		msg  string // "" = allowed
	}{
		{"edit allowed", s, access.Cases, access.Edit, ""},
		{"read allowed by edit", s, access.Cases, access.Read, ""},
		{"read allowed", s, access.Financial, access.Read, ""},
		{"edit on read-only area", s, access.Financial, access.Edit, "You do not have permission to change financial records."},
		{"denied area", s, access.Audit, access.Read, "You do not have access to audit records."},
		{"ungranted area", s, access.Notes, access.Read, "You do not have access to notes."},
		{"need none counts as read", s, access.Notes, access.None, "You do not have access to notes."},
		{"unknown area", s, "cellar", access.Read, "You do not have access to cellar."},
		{"nil subject", nil, access.Cases, access.Read, "You do not have access to cases."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.subj.Require(tc.area, tc.need)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("Require = %v", err)
				}
				return
			}
			if strongroom.ErrorCode(err) != strongroom.EFORBIDDEN || strongroom.ErrorMessage(err) != tc.msg {
				t.Fatalf("Require = %v, want forbidden %q", err, tc.msg)
			}
		})
	}
}

func TestNewSubject(t *testing.T) {
	in := []int64{5, 3, 5, 1, 3}
	s := access.NewSubject(7, true, in, nil)
	if !slices.Equal(s.Classes, []int64{1, 3, 5}) {
		t.Errorf("Classes = %v, want sorted unique", s.Classes)
	}
	if !slices.Equal(in, []int64{5, 3, 5, 1, 3}) {
		t.Errorf("NewSubject changed its input: %v", in)
	}
	if s.UserID != 7 || !s.Restricted || len(s.Levels) != len(access.Areas()) {
		t.Errorf("NewSubject = %+v", s)
	}
}

// TestCanSee checks the Go decision against the rule as the product states
// it, written out independently, over the whole matrix.
func TestCanSee(t *testing.T) {
	for _, c := range matrix() {
		t.Run(c.name, func(t *testing.T) {
			s := c.subject()
			for _, rec := range recordClassSets {
				if got, want := s.CanSee(c.area, c.need, rec.classes), c.want(rec.classes); got != want {
					t.Errorf("CanSee(record %s) = %v, want %v", rec.name, got, want)
				}
			}
			if got, want := s.Allowed(c.area, c.need), c.areaAllowed(); got != want {
				t.Errorf("Allowed = %v, want %v", got, want)
			}
			if got := s.Require(c.area, c.need); (got == nil) != c.areaAllowed() {
				t.Errorf("Require = %v, area allowed = %v", got, c.areaAllowed())
			}
		})
	}
	t.Run("nil subject", func(t *testing.T) {
		var s *access.Subject
		if s.CanSee(access.Cases, access.Read, nil) || s.CanSee(access.Cases, access.Read, []int64{classA}) {
			t.Fatal("nil subject sees a record")
		}
	})
}
