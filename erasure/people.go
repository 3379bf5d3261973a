package erasure

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/erasure/personal"
	"strongroom/identity"
	"strongroom/tenancy"
)

// Person is one data subject an administrator may export, and erase: a
// contact, or a user account (erased only once it is no longer active).
type Person struct {
	Subject Subject
	Name    string // opened: the contact's or the user's display name
	Detail  string // a contact's kind, a user's user name and status
	Cases   int    // case parts (contact) or cases responsible for (user) the administrator can see
	Active  bool   // an active user: must be disabled before erasure
}

// People lists the contacts the administrator can see and the user
// accounts not yet erased, by name. Names are sealed at rest, so
// they are opened and sorted here rather than by the database.
func (s *Service) People(ctx context.Context, h *tenancy.Handle, p *identity.Principal) ([]Person, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	personal.EnsureSealed(ctx, h)
	var out []Person
	contacts, err := s.contactPeople(ctx, h, p)
	if err != nil {
		return nil, err
	}
	out = append(out, contacts...)
	rows, err := h.DB.QueryContext(ctx, `SELECT u.id, u.username, u.status, u.display_name, u.sealed, sk.sealed_key,
		(SELECT COUNT(*) FROM case_users x WHERE x.user_id = u.id) FROM users u
		LEFT JOIN audit_subject_keys sk ON sk.subject_id = 'user:' || CAST(u.id AS TEXT)
		WHERE u.username_key <> 'erased-' || CAST(u.id AS TEXT) ORDER BY u.id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	type row struct {
		p                 Person
		sealed, sealedKey []byte
	}
	var users []row
	for rows.Next() {
		var r row
		var username, status string
		if err := rows.Scan(&r.p.Subject.ID, &username, &status, &r.p.Name, &r.sealed, &r.sealedKey, &r.p.Cases); err != nil {
			rows.Close()
			return nil, err
		}
		r.p.Subject.Kind, r.p.Detail, r.p.Active = KindUser, username+" ("+status+")", status == "active"
		users = append(users, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, r := range users {
		if r.sealed != nil {
			f, _, err := personal.Open(h, r.p.Subject.String(), "users", r.sealedKey, r.sealed, personal.UserFields...)
			if err != nil {
				return nil, err
			}
			r.p.Name = f["display_name"]
		}
		out = append(out, r.p)
	}
	slices.SortStableFunc(out, func(a, b Person) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.Subject.String(), b.Subject.String()))
	})
	return out, nil
}

func (s *Service) contactPeople(ctx context.Context, h *tenancy.Handle, p *identity.Principal) ([]Person, error) {
	pred := cases.Predicate(p.Subject, cases.TypeContact, access.Read, "x")
	rows, err := h.DB.QueryContext(ctx, `SELECT k.id, k.kind, k.name, k.sealed, sk.sealed_key,
		(SELECT COUNT(*) FROM case_contacts x JOIN cases c ON c.id = x.case_id
			WHERE x.contact_id = k.id AND x.deleted_at = '' AND c.deleted_at = '' AND `+pred.SQL+`)
		FROM contacts k LEFT JOIN audit_subject_keys sk ON sk.subject_id = 'contact:' || CAST(k.id AS TEXT)
		WHERE k.sealed IS NULL OR k.sealed <> ? ORDER BY k.id`, append(pred.Args, personal.Tombstone)...)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	var out []Person
	var sealed, keys [][]byte
	for rows.Next() {
		var pp Person
		var sl, sk []byte
		if err := rows.Scan(&pp.Subject.ID, &pp.Detail, &pp.Name, &sl, &sk, &pp.Cases); err != nil {
			rows.Close()
			return nil, err
		}
		pp.Subject.Kind = KindContact
		out, sealed, keys = append(out, pp), append(sealed, sl), append(keys, sk)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	shown := out[:0]
	for i, pp := range out {
		if ok, err := contactVisible(ctx, h.DB, p, pp.Subject.ID); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		if sealed[i] != nil {
			f, _, err := personal.Open(h, pp.Subject.String(), "contacts", keys[i], sealed[i], personal.ContactFields...)
			if err != nil {
				return nil, err
			}
			pp.Name = f["name"]
		}
		shown = append(shown, pp)
	}
	return shown, nil
}

// contactVisible reports whether the administrator may see the contact:
// through a live part in a case they can read, or because no live part
// hides it from them (its parts are all deleted). A contact only hidden
// cases name does not exist for them, here as everywhere.
func contactVisible(ctx context.Context, q Querier, p *identity.Principal, id int64) (bool, error) {
	pred := cases.Predicate(p.Subject, cases.TypeContact, access.Read, "x")
	var readable, live int
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM case_contacts x JOIN cases c ON c.id = x.case_id
			WHERE x.contact_id = ? AND x.deleted_at = '' AND c.deleted_at = '' AND `+pred.SQL+`),
		(SELECT COUNT(*) FROM case_contacts x JOIN cases c ON c.id = x.case_id
			WHERE x.contact_id = ? AND x.deleted_at = '' AND c.deleted_at = '')`,
		append(append([]any{id}, pred.Args...), id)...).Scan(&readable, &live)
	if err != nil {
		return false, fmt.Errorf("look up contact %d: %w", id, err)
	}
	return readable > 0 || live == 0, nil
}

// requireVisible answers a contact the administrator may not see exactly
// as one that does not exist.
func requireVisible(ctx context.Context, q Querier, p *identity.Principal, subj Subject) error {
	if subj.Kind != KindContact {
		return nil
	}
	ok, err := contactVisible(ctx, q, p, subj.ID)
	if err != nil {
		return err
	}
	if !ok {
		return strongroom.Errorf(strongroom.ENOTFOUND, "There is no such person to erase (or they have been erased already).")
	}
	return nil
}
