package integrations

import (
	"strconv"

	"strongroom"
	"strongroom/keys"
	"strongroom/tenancy"
)

// bindingSlug is the tenant name the credentials' sealing is bound to.
// It is the one place that says so: how the binding name is found may
// change (a restored copy keeps its original's), and every seal and open
// must follow.
func bindingSlug(h *tenancy.Handle) string { return h.Tenant.Slug }

// credentialAAD binds a sealed credential to its tenant, its integration
// and its purpose: moved to another row or tenant, or read as another
// kind of secret, it does not open.
func credentialAAD(h *tenancy.Handle, id int64) []byte {
	return []byte("strongroom/integration-credential/v1\x00" + bindingSlug(h) + "\x00" + strconv.FormatInt(id, 10))
}

func sealSecret(h *tenancy.Handle, id int64, secret string) ([]byte, error) {
	if secret == "" {
		return []byte{}, nil
	}
	return keys.Seal(h.DataKey(), []byte(secret), credentialAAD(h, id))
}

func openSecret(h *tenancy.Handle, r *row) (string, error) {
	if len(r.sealed) == 0 {
		return "", nil
	}
	b, err := keys.OpenSealed(h.DataKey(), r.sealed, credentialAAD(h, r.it.ID))
	if err != nil {
		return "", strongroom.Errorf(strongroom.EINVALID, "The credential of integration %s cannot be opened; enter it again.", r.it.Name)
	}
	return string(b), nil
}
