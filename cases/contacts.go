package cases

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/erasure/personal"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// ContactRoles lists the parts a contact can play in a case.
func ContactRoles() []string {
	return []string{"client", "opposing_party", "witness", "counsel", "expert", "judge", "other"}
}

// ContactKinds lists the kinds of contact.
func ContactKinds() []string { return []string{"person", "organisation"} }

// Contact is a person or an organisation: personal data, kept in a table
// of its own so that it can be erased without touching anything else. The
// personal fields are sealed at rest under the contact's own key (package
// erasure/personal); once that key is erased they read personal.Erased.
type Contact struct {
	ID      int64
	Kind    string
	Name    string
	Email   string
	Phone   string
	Address string
	Notes   string
	// Erased is set when the contact's key is gone: the fields read
	// personal.Erased.
	Erased bool

	sealed, sealedKey []byte // as read, until opened
}

// open replaces the sealed fields as read by their values. A row written
// before fields were sealed (sealed NULL) keeps its plaintext columns.
func (c *Contact) open(t *tenancy.Handle) error {
	if c.sealed == nil {
		return nil
	}
	f, erased, err := personal.Open(t, personal.Contact(c.ID), "contacts", c.sealedKey, c.sealed, personal.ContactFields...)
	if err != nil {
		return err
	}
	c.Name, c.Email, c.Phone, c.Address, c.Notes = f["name"], f["email"], f["phone"], f["address"], f["notes"]
	c.Erased, c.sealed, c.sealedKey = erased, nil, nil
	return nil
}

// sealContact writes a contact's personal fields sealed under its key and
// empties the plaintext columns.
func sealContact(ctx context.Context, tx *store.Tx, t *tenancy.Handle, id int64, in *ContactInput) error {
	sealed, err := personal.Seal(ctx, tx, t, personal.Contact(id), "contacts", map[string]string{
		"name": in.Name, "email": in.Email, "phone": in.Phone, "address": in.Address, "notes": in.notes()})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE contacts SET sealed = ?, name = '', email = '', phone = '', address = '' WHERE id = ?`, sealed, id)
	if err != nil {
		return fmt.Errorf("seal contact %d: %w", id, err)
	}
	return nil
}

// readContact reads one contact's kind and opened fields.
func readContact(ctx context.Context, q Querier, t *tenancy.Handle, id int64) (*Contact, error) {
	c := Contact{ID: id}
	err := q.QueryRowContext(ctx, `SELECT k.kind, k.name, k.email, k.phone, k.address, k.sealed, sk.sealed_key FROM `+contactFrom+
		` WHERE k.id = ?`, id).Scan(&c.Kind, &c.Name, &c.Email, &c.Phone, &c.Address, &c.sealed, &c.sealedKey)
	if err != nil {
		return nil, fmt.Errorf("read contact %d: %w", id, err)
	}
	return &c, c.open(t)
}

// contactFrom joins a contact (k) to its key, which may be gone.
const contactFrom = `contacts k LEFT JOIN audit_subject_keys sk ON sk.subject_id = 'contact:' || CAST(k.id AS TEXT)`

// ContactRecord is a contact's part in a case: the "contact" record of a
// case, with the classes and version of the part.
type ContactRecord struct {
	RecordBase
	Role    string
	Contact Contact
}

// ContactInput is what a user sets on a contact's part in a case. On
// create, ContactID names an existing contact (one the user can see in
// some case) instead of the contact fields.
type ContactInput struct {
	ContactID int64
	Kind      string
	Name      string
	Email     string
	Phone     string
	Address   string
	// Notes are free text about the person, sealed like the other
	// fields. nil leaves the notes as they are (a form without the field).
	Notes   *string
	Role    string
	Classes []int64
	Version int
}

// Input returns the input that would leave r as it is.
func (r *ContactRecord) Input() ContactInput {
	notes := r.Contact.Notes
	return ContactInput{Kind: r.Contact.Kind, Name: r.Contact.Name, Email: r.Contact.Email, Phone: r.Contact.Phone,
		Address: r.Contact.Address, Notes: &notes, Role: r.Role, Classes: slices.Clone(r.OwnClassIDs()), Version: r.Version}
}

func (in *ContactInput) notes() string {
	if in.Notes == nil {
		return ""
	}
	return *in.Notes
}

// validate checks the input, reporting every problem at once.
func (in *ContactInput) validate(linking bool) error {
	var ps strongroom.Problems
	if !linking {
		if !slices.Contains(ContactKinds(), in.Kind) {
			ps.Addf("kind", "The kind must be person or organisation.")
		}
		ps.Add(checkText("name", in.Name, 1, 300, false))
		ps.Add(checkEmail(in.Email))
		ps.Add(checkText("phone", in.Phone, 0, 50, false))
		ps.Add(checkText("address", in.Address, 0, 1000, true))
		ps.Add(checkText("notes", in.notes(), 0, 10000, true))
	}
	if !slices.Contains(ContactRoles(), in.Role) {
		ps.Addf("role", "The role must be one of: %s.", strings.Join(ContactRoles(), ", "))
	}
	return finishRecord(&ps, &in.Classes)
}

// checkEmail checks an optional e-mail address.
func checkEmail(email string) error {
	if email == "" {
		return nil
	}
	if err := checkText("email", email, 3, 254, false); err != nil {
		return err
	}
	if at := strings.LastIndexByte(email, '@'); at < 1 || at == len(email)-1 || strings.ContainsAny(email, " <>,;") {
		return strongroom.FieldError("email", "This is not an e-mail address.")
	}
	return nil
}

var contactSpec = listSpec{
	typ:     TypeContact,
	columns: `x.role, k.id, k.kind, k.name, k.email, k.phone, k.address, k.sealed, sk.sealed_key, ` + baseColumns,
	from: `case_contacts x JOIN contacts k ON k.id = x.contact_id
		LEFT JOIN audit_subject_keys sk ON sk.subject_id = 'contact:' || CAST(k.id AS TEXT)`,
	key: `x.created_at`,
}

func scanContact(row interface{ Scan(...any) error }) (*ContactRecord, error) {
	var r ContactRecord
	dest, finish := r.baseDest()
	c := &r.Contact
	if err := row.Scan(append([]any{&r.Role, &c.ID, &c.Kind, &c.Name, &c.Email, &c.Phone, &c.Address, &c.sealed, &c.sealedKey}, dest...)...); err != nil {
		return nil, err
	}
	finish()
	return &r, nil
}

var contacts = recordKind[*ContactRecord]{listSpec: contactSpec, scan: scanContact,
	sortKey: func(r *ContactRecord) string { return store.FormatTime(r.CreatedAt) },
	subject: func(r *ContactRecord) string { return contactSubject(r.Contact.ID) }}

// ListContacts lists the contacts of a case the user may see, in the
// order they were added.
func (s *Service) ListContacts(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64, opt ListOptions) ([]*ContactRecord, string, error) {
	personal.EnsureSealed(ctx, t) // rows written in clear: sealed in the background
	rs, next, err := contacts.list(ctx, t, p, caseID, opt)
	if err != nil {
		return nil, "", err
	}
	for _, r := range rs {
		if err := r.Contact.open(t); err != nil {
			return nil, "", err
		}
	}
	return rs, next, nil
}

// GetContact returns one contact's part in a case, if the user may see it.
func (s *Service) GetContact(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64) (*ContactRecord, error) {
	r, err := contacts.get(ctx, t, p, id)
	if err != nil {
		return nil, err
	}
	return r, r.Contact.open(t)
}

// contactSubject is the audit subject personal values of a contact are
// sealed under, so that erasing the contact can make them unreadable.
func contactSubject(id int64) string { return personal.Contact(id) }

// CreateContact adds a contact to a case: a new one, or (ContactID) one
// the user can already see in some case.
func (s *Service) CreateContact(ctx context.Context, t *tenancy.Handle, p *identity.Principal, caseID int64, in ContactInput) (*ContactRecord, error) {
	validate := func() error { return in.validate(in.ContactID != 0) }
	return opened(t)(contacts.create(ctx, s, t, p, caseID, &in.Classes, validate, func(tx *store.Tx, now string) (change, error) {
		d, err := linkContact(ctx, tx, t, p, &in, now)
		if err != nil {
			return change{}, err
		}
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO case_contacts (case_id, contact_id, role, own_classes, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, caseID, in.ContactID, in.Role, boolInt(len(in.Classes) > 0), now, now).Scan(&id)
		if err != nil {
			return change{}, fmt.Errorf("insert contact of case %d: %w", caseID, err)
		}
		if _, err := SetRecordClasses(ctx, tx, TypeContact, id, caseID, in.Classes); err != nil {
			return change{}, err
		}
		if err := Index(ctx, tx, TypeContact, id, caseID, in.Name, in.Role); err != nil {
			return change{}, err
		}
		changes := append(created("case_id", caseID, "contact_id", in.ContactID, "role", in.Role, "classes", nonNilIDs(in.Classes)), d...)
		return change{action: "contact.create", objType: "contact", id: id, changes: changes,
			subject: contactSubject(in.ContactID)}, nil
	}))
}

// linkContact finds the contact a new part names (in.ContactID, which the
// user must reach) or creates it from the input; it fills in the kind and
// name and returns the new contact's fields for the audit event.
func linkContact(ctx context.Context, tx *store.Tx, t *tenancy.Handle, p *identity.Principal, in *ContactInput, now string) (diffs, error) {
	var d diffs
	if in.ContactID != 0 {
		if err := contactReachable(ctx, tx, p, in.ContactID); err != nil {
			return nil, err
		}
		c, err := readContact(ctx, tx, t, in.ContactID)
		if err != nil {
			return nil, err
		}
		in.Kind, in.Name = c.Kind, c.Name
		return d, nil
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO contacts (kind, name, created_at, updated_at)
		VALUES (?, '', ?, ?) RETURNING id`, in.Kind, now, now).Scan(&in.ContactID)
	if err != nil {
		return nil, fmt.Errorf("insert contact: %w", err)
	}
	if err := sealContact(ctx, tx, t, in.ContactID, in); err != nil {
		return nil, err
	}
	d.add("kind", nil, in.Kind)
	d.addPersonal("name", nil, in.Name)
	d.addPersonal("email", nil, in.Email)
	d.addPersonal("phone", nil, in.Phone)
	d.addPersonal("address", nil, in.Address)
	d.addPersonal("notes", nil, in.notes())
	return d, nil
}

// contactReachable checks that the user can see some live part of a
// contact in a case; otherwise the contact does not exist for them.
func contactReachable(ctx context.Context, q Querier, p *identity.Principal, contactID int64) error {
	pred := Predicate(p.Subject, TypeContact, access.Read, "x")
	n, err := count(ctx, q, `SELECT COUNT(*) FROM case_contacts x JOIN cases c ON c.id = x.case_id
		WHERE x.contact_id = ? AND x.deleted_at = '' AND c.deleted_at = '' AND `+pred.SQL, append([]any{contactID}, pred.Args...)...)
	if err != nil {
		return err
	}
	if n == 0 {
		return strongroom.FieldError("contact_id", "There is no such contact.")
	}
	return nil
}

// UpdateContact changes a contact's part in a case and the contact's
// details (which every case the contact is part of shows).
func (s *Service) UpdateContact(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, in ContactInput) (*ContactRecord, error) {
	// The area is checked before contact_id, as well as in update.
	if err := p.Subject.Require(access.Contacts, access.Edit); err != nil {
		return nil, err
	}
	if in.ContactID != 0 {
		return nil, strongroom.FieldError("contact_id", "The contact of a part cannot be changed; remove the part and add another.")
	}
	return opened(t)(contacts.update(ctx, s, t, p, id, edit[*ContactRecord]{version: in.Version, classes: &in.Classes,
		validate: func() error { return in.validate(false) },
		set:      func() (string, []any) { return `role = ?`, []any{in.Role} },
		reindex: func(tx *store.Tx, before *ContactRecord, now string) (diffs, error) {
			if err := before.Contact.open(t); err != nil {
				return nil, err
			}
			if before.Contact.Erased {
				return nil, strongroom.Errorf(strongroom.ECONFLICT, "This person's details have been erased; they cannot be changed.")
			}
			d, err := updateContactDetails(ctx, tx, t, before, &in, now)
			if err != nil {
				return nil, err
			}
			d.add("role", before.Role, in.Role)
			return d, nil
		}}))
}

// opened opens the contact of a record a create or update returns.
func opened(t *tenancy.Handle) func(*ContactRecord, error) (*ContactRecord, error) {
	return func(r *ContactRecord, err error) (*ContactRecord, error) {
		if err != nil {
			return nil, err
		}
		return r, r.Contact.open(t)
	}
}

// updateContactDetails writes changed contact details and re-indexes
// every live part of the contact; it returns the changes, personal values
// marked as such.
func updateContactDetails(ctx context.Context, tx *store.Tx, t *tenancy.Handle, before *ContactRecord, in *ContactInput, now string) (diffs, error) {
	c := before.Contact
	var d diffs
	d.add("kind", c.Kind, in.Kind)
	d.addPersonal("name", c.Name, in.Name)
	d.addPersonal("email", c.Email, in.Email)
	d.addPersonal("phone", c.Phone, in.Phone)
	d.addPersonal("address", c.Address, in.Address)
	if in.Notes == nil {
		in.Notes = &c.Notes
	}
	d.addPersonal("notes", c.Notes, in.notes())
	if len(d) > 0 {
		_, err := tx.ExecContext(ctx, `UPDATE contacts SET kind = ?, updated_at = ?, version = version + 1 WHERE id = ?`, in.Kind, now, c.ID)
		if err != nil {
			return nil, fmt.Errorf("update contact details %d: %w", c.ID, err)
		}
		if err := sealContact(ctx, tx, t, c.ID, in); err != nil {
			return nil, err
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, case_id, role FROM case_contacts WHERE contact_id = ? AND deleted_at = ''`, c.ID)
	if err != nil {
		return nil, fmt.Errorf("parts of contact %d: %w", c.ID, err)
	}
	type part struct {
		id, caseID int64
		role       string
	}
	var parts []part
	for rows.Next() {
		var p part
		if err := rows.Scan(&p.id, &p.caseID, &p.role); err != nil {
			rows.Close()
			return nil, err
		}
		parts = append(parts, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, p := range parts {
		role := p.role
		if p.id == before.ID {
			role = in.Role
		}
		if err := Index(ctx, tx, TypeContact, p.id, p.caseID, in.Name, role); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// DeleteContact removes a contact's part in a case, based on its version;
// a contact left with no part in any case is deleted with it.
func (s *Service) DeleteContact(ctx context.Context, t *tenancy.Handle, p *identity.Principal, id int64, version int) error {
	return s.deleteRecord(ctx, t, p, TypeContact, id, version)
}
