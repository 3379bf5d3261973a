package access

// Names of the built-in roles.
const (
	AdministratorRole   = "Administrator"
	StaffRole           = "Staff"
	ReadOnlyRole        = "Read-only"
	ExternalCounselRole = "External counsel"
)

// BuiltinRoles returns the roles every tenant starts with, for the tenant
// set-up to insert (ID is zero; Builtin is true). Each call returns fresh
// maps. Areas a role leaves out have no grant, so holding a second role can
// add them; External counsel denies outright what an outside firm must never
// see, whatever else it is given.
//
//   - Administrator: edit every area, including areas added later.
//   - Staff: edit cases, documents, financial records, contacts and notes;
//     read reports and dashboards; no audit, no administration.
//   - Read-only: read cases, documents, financial records, contacts, notes,
//     reports and dashboards.
//   - External counsel: edit cases, documents and notes; read contacts; deny
//     financial records, audit and administration; no reports or dashboards.
//     Meant for restricted users, who further see only records carrying one
//     of their security classes.
func BuiltinRoles() []Role {
	admin := make(map[Area]Grant, len(areas))
	for _, a := range Areas() {
		admin[a] = EditGrant
	}
	return []Role{
		{
			Name:        AdministratorRole,
			Description: "Full access to every area, including users, roles and the audit trail.",
			Builtin:     true,
			Grants:      admin,
		},
		{
			Name:        StaffRole,
			Description: "Works cases and their records; reads reports and dashboards.",
			Builtin:     true,
			Grants: map[Area]Grant{
				Cases: EditGrant, Documents: EditGrant, Financial: EditGrant,
				Contacts: EditGrant, Notes: EditGrant,
				Reports: ReadGrant, Dashboards: ReadGrant,
			},
		},
		{
			Name:        ReadOnlyRole,
			Description: "Reads cases and their records, reports and dashboards; changes nothing.",
			Builtin:     true,
			Grants: map[Area]Grant{
				Cases: ReadGrant, Documents: ReadGrant, Financial: ReadGrant,
				Contacts: ReadGrant, Notes: ReadGrant,
				Reports: ReadGrant, Dashboards: ReadGrant,
			},
		},
		{
			Name:        ExternalCounselRole,
			Description: "Outside counsel: works the cases, documents and notes shared with them; never sees financial records, audit or administration.",
			Builtin:     true,
			Grants: map[Area]Grant{
				Cases: EditGrant, Documents: EditGrant, Notes: EditGrant,
				Contacts:  ReadGrant,
				Financial: Deny, Audit: Deny, Administration: Deny,
			},
		},
	}
}
