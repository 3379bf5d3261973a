package access_test

import (
	"fmt"

	"strongroom/access"
)

// Security classes used by the matrix. Odd values, so that a class id
// formatted into SQL would be easy to spot.
const (
	classA int64 = 7001
	classB int64 = 7002
	classC int64 = 7003
)

type classSet struct {
	name    string
	classes []int64
}

// userClassSets are the classes a user holds (deliberately unsorted).
var userClassSets = []classSet{
	{"none", nil},
	{"A", []int64{classA}},
	{"AB", []int64{classB, classA}},
}

// recordClassSets are the classes a record carries; the SQL test inserts one
// record per entry, with id = index + 1.
var recordClassSets = []classSet{
	{"none", nil},
	{"A", []int64{classA}},
	{"B", []int64{classB}},
	{"C", []int64{classC}},
	{"AC", []int64{classA, classC}},
}

// matrixCase is one user, asking for one area at one level.
type matrixCase struct {
	name       string
	area       access.Area
	grant      access.Grant // the user's grant on area; NoGrant = none
	need       access.Level
	restricted bool
	user       []int64
}

// matrix is every area × grant (none, deny, read, edit) × need × restricted
// or not × user class set.
func matrix() []matrixCase {
	var out []matrixCase
	for _, a := range access.Areas() {
		for _, g := range []access.Grant{access.NoGrant, access.Deny, access.ReadGrant, access.EditGrant} {
			for _, need := range []access.Level{access.None, access.Read, access.Edit} {
				for _, restricted := range []bool{false, true} {
					for _, uc := range userClassSets {
						gname := string(g)
						if g == access.NoGrant {
							gname = "nogrant"
						}
						who := "unrestricted"
						if restricted {
							who = "restricted"
						}
						out = append(out, matrixCase{
							name:       fmt.Sprintf("%s/%s/need-%v/%s/user-%s", a, gname, need, who, uc.name),
							area:       a,
							grant:      g,
							need:       need,
							restricted: restricted,
							user:       uc.classes,
						})
					}
				}
			}
		}
	}
	return out
}

// subject builds the user from roles: one giving the case's grant on its
// area, and one giving edit on every other area, so that a grant elsewhere
// can never leak into this one.
func (c matrixCase) subject() *access.Subject {
	this := access.Role{Name: "this", Grants: map[access.Area]access.Grant{}}
	if c.grant != access.NoGrant {
		this.Grants[c.area] = c.grant
	}
	others := access.Role{Name: "others", Grants: map[access.Area]access.Grant{}}
	for _, a := range access.Areas() {
		if a != c.area {
			others.Grants[a] = access.EditGrant
		}
	}
	return access.NewSubject(42, c.restricted, c.user, []access.Role{this, others})
}

// areaAllowed is the role rule, written out: deny or no grant gives nothing;
// read serves a need of read (or none, which counts as read); edit serves
// any need.
func (c matrixCase) areaAllowed() bool {
	switch c.grant {
	case access.EditGrant:
		return true
	case access.ReadGrant:
		return c.need != access.Edit
	default:
		return false
	}
}

// want is the whole rule for one record, written out: the area must be
// allowed; an unclassified record is visible to an unrestricted user only;
// a classified record is visible to whoever holds one of its classes.
func (c matrixCase) want(record []int64) bool {
	if !c.areaAllowed() {
		return false
	}
	if len(record) == 0 {
		return !c.restricted
	}
	for _, r := range record {
		for _, u := range c.user {
			if r == u {
				return true
			}
		}
	}
	return false
}
