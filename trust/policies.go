package trust

import (
	"fmt"
	"strings"

	"strongroom/identity"
	"strongroom/netpolicy"
	"strongroom/sso"
)

// PolicySettings states the tenant's sign-in lockout, two-factor, IP
// allowlist and single sign-on policies as report settings. A nil policy
// is reported as not read.
func PolicySettings(id *identity.Settings, np *netpolicy.Policy, sp *sso.Policy) []Setting {
	var out []Setting
	if id != nil {
		unlock := "only an administrator unlocks"
		if id.AutoUnlockAfter > 0 {
			unlock = "unlocks by itself after " + id.AutoUnlockAfter.String()
		}
		mfa := map[string]string{identity.MFAOptional: "optional", identity.MFAAdmins: "required for administrators",
			identity.MFAEveryone: "required for everyone"}[id.MFA]
		out = append(out,
			Setting{Area: "Sign-in lockout", Name: "Failed sign-ins that lock an account", Value: fmt.Sprint(id.LockoutThreshold)},
			Setting{Area: "Sign-in lockout", Name: "A locked account", Value: unlock},
			Setting{Area: "Two-factor", Name: "Second factor", Value: mfa},
			Setting{Area: "Sessions", Name: "Idle timeout", Value: id.IdleTimeout.String()},
			Setting{Area: "Sessions", Name: "Absolute timeout", Value: id.AbsoluteTimeout.String()})
	} else {
		out = append(out, Setting{Area: "Sign-in lockout", Name: "Policy", Value: "not read"})
	}
	if np != nil {
		v := "every address is allowed"
		if len(np.Entries) > 0 {
			var nets []string
			for _, e := range np.Entries {
				nets = append(nets, e.Prefix.String())
			}
			v = "only " + strings.Join(nets, ", ")
		}
		out = append(out, Setting{Area: "IP allowlist", Name: "Networks allowed", Value: v})
	} else {
		out = append(out, Setting{Area: "IP allowlist", Name: "Policy", Value: "not read"})
	}
	if sp != nil {
		yes := func(b bool) string {
			if b {
				return "yes"
			}
			return "no"
		}
		out = append(out,
			Setting{Area: "Single sign-on", Name: "Sign-in through the firm's provider only", Value: yes(sp.SSOOnly)},
			Setting{Area: "Single sign-on", Name: "Provider's second factor accepted", Value: yes(sp.ProviderMFA)},
			Setting{Area: "Single sign-on", Name: "Accounts created on first sign-in", Value: yes(sp.JIT)})
	} else {
		out = append(out, Setting{Area: "Single sign-on", Name: "Policy", Value: "not read"})
	}
	return out
}
