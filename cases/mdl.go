package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// MDLGroup is a multi-district litigation group that cases may belong to.
type MDLGroup struct {
	ID   int64
	Code string // "MDL 2741"
	Name string
}

// ListMDL lists the multi-district litigation groups, for anyone who may
// read cases (a group is a label, not a record: it carries no classes).
func (s *Service) ListMDL(ctx context.Context, t *tenancy.Handle, p *identity.Principal) ([]MDLGroup, error) {
	if err := p.Subject.Require(access.Cases, access.Read); err != nil {
		return nil, err
	}
	rows, err := t.DB.QueryContext(ctx, `SELECT id, code, name FROM mdl_groups ORDER BY code, id`)
	if err != nil {
		return nil, fmt.Errorf("list MDL groups: %w", err)
	}
	defer rows.Close()
	out := []MDLGroup{}
	for rows.Next() {
		var g MDLGroup
		if err := rows.Scan(&g.ID, &g.Code, &g.Name); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func loadMDL(ctx context.Context, q Querier, id int64) (*MDLGroup, error) {
	g := MDLGroup{ID: id}
	err := q.QueryRowContext(ctx, `SELECT code, name FROM mdl_groups WHERE id = ?`, id).Scan(&g.Code, &g.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, strongroom.Errorf(strongroom.ENOTFOUND, "No such multi-district litigation group.")
	} else if err != nil {
		return nil, fmt.Errorf("load MDL group %d: %w", id, err)
	}
	return &g, nil
}

// CreateMDL defines a multi-district litigation group; it takes edit on
// administration.
func (s *Service) CreateMDL(ctx context.Context, t *tenancy.Handle, p *identity.Principal, g MDLGroup) (*MDLGroup, error) {
	if err := p.Subject.Require(access.Administration, access.Edit); err != nil {
		return nil, err
	}
	var ps strongroom.Problems
	ps.Add(checkText("code", g.Code, 1, 50, false))
	ps.Add(checkText("name", g.Name, 1, 300, false))
	if err := ps.Err(); err != nil {
		return nil, err
	}
	err := t.DB.InTx(ctx, func(tx *store.Tx) error {
		n, err := count(ctx, tx, `SELECT COUNT(*) FROM mdl_groups WHERE LOWER(code) = ?`, strings.ToLower(g.Code))
		if err != nil {
			return err
		}
		if n > 0 {
			return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "code", Message: "A group with this code exists."}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO mdl_groups (code, name) VALUES (?, ?) RETURNING id`, g.Code, g.Name).Scan(&g.ID); err != nil {
			return fmt.Errorf("insert MDL group: %w", err)
		}
		return record(ctx, tx, t, p, change{action: "mdl.create", objType: "mdl_group", id: g.ID,
			changes: created("code", g.Code, "name", g.Name)})
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}
