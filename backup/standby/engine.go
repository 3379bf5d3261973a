package standby

import (
	"context"
	"fmt"

	"strongroom/store"
)

// stagingEngine creates a tenant's database beside the live copy: under
// another name on the same engine (SLUG.TAG, a name no tenant can have,
// since slugs hold no dot), its tenant_info saying SLUG, so that it opens
// as SLUG's database wherever its placement is recorded. Swapping the
// copies is then only a matter of which placement the tenants row holds.
type stagingEngine struct {
	store.Engine
	tag string
}

// alias is the name the database is made under. PostgreSQL names are at
// most 63 bytes: the engine's prefix (up to 20) leaves 43, so a long slug
// is shortened; the random tag keeps the name apart from other copies.
func (e stagingEngine) alias(slug string) string {
	if len(slug) > 34 {
		slug = slug[:34]
	}
	return slug + "." + e.tag
}

func (e stagingEngine) Placement(slug string) string { return e.Engine.Placement(e.alias(slug)) }

func (e stagingEngine) CreateTenantDB(ctx context.Context, slug string) (string, error) {
	alias := e.alias(slug)
	placement, err := e.Engine.CreateTenantDB(ctx, alias)
	if err != nil {
		return "", err
	}
	db, err := e.Engine.OpenTenantDB(ctx, alias, placement)
	if err == nil {
		_, err = db.ExecContext(ctx, `UPDATE tenant_info SET value = ? WHERE name = 'slug'`, slug)
		db.Close()
	}
	if err != nil {
		_ = e.Engine.DropTenantDB(context.WithoutCancel(ctx), placement)
		return "", fmt.Errorf("name the staged database of %q: %w", slug, err)
	}
	return placement, nil
}
