package trust

import (
	"fmt"
	"strings"
	"time"

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
			unlock = "unlocks by itself after " + durationPhrase(id.AutoUnlockAfter)
		}
		mfa := map[string]string{identity.MFAOptional: "optional", identity.MFAAdmins: "required for administrators",
			identity.MFAEveryone: "required for everyone"}[id.MFA]
		out = append(out,
			Setting{Area: "Sign-in lockout", Name: "Failed sign-ins that lock an account", Value: fmt.Sprint(id.LockoutThreshold)},
			Setting{Area: "Sign-in lockout", Name: "A locked account", Value: unlock},
			Setting{Area: "Two-factor", Name: "Second factor", Value: mfa},
			Setting{Area: "Sessions", Name: "Idle timeout", Value: durationPhrase(id.IdleTimeout)},
			Setting{Area: "Sessions", Name: "Absolute timeout", Value: durationPhrase(id.AbsoluteTimeout)})
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

// durationPhrase says a policy's duration in words: "30 minutes",
// "12 hours", "1 hour 30 minutes", "1 day"; seconds only when there are
// any ("45 seconds").
func durationPhrase(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		return "0 seconds"
	}
	var parts []string
	for _, u := range []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}} {
		if n := d / u.size; n > 0 {
			w := u.name
			if n != 1 {
				w += "s"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, w))
			d -= n * u.size
		}
	}
	return strings.Join(parts, " ")
}
