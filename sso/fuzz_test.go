package sso

import (
	"strings"
	"testing"
)

// FuzzProviderInput checks a provider as a form or the API sends it: it
// never panics, and what it accepts is well formed (an https issuer for
// another provider, an Entra directory that is a GUID, domains that are
// domain names, Google never without one).
func FuzzProviderInput(f *testing.F) {
	f.Add("google", "Google", "", "client", "secret", "firm.example", "", "")
	f.Add("entra", "Microsoft", "", "client", "secret", "", "0b5e2c4e-6f1a-4f7e-9d2a-3c1b2a4d5e6f", "urn:mfa")
	f.Add("oidc", "IdP", "https://idp.example/realm", "client", "secret", "a.example b.example", "", "")
	f.Add("entra", "X", "", "c", "s", "", "common", "")
	f.Fuzz(func(t *testing.T, kind, name, issuer, client, secret, domains, dir, acr string) {
		in := ProviderInput{Kind: kind, Name: name, Issuer: issuer, ClientID: client, ClientSecret: secret,
			AllowedDomains: strings.Fields(domains), DirectoryID: dir, MFAACR: strings.Fields(acr)}
		if in.check(true) != nil {
			return
		}
		switch in.Kind {
		case KindOIDC:
			if !isHTTPS(in.Issuer) {
				t.Fatalf("accepted issuer %q", in.Issuer)
			}
		case KindEntra:
			if !guidRE.MatchString(in.DirectoryID) {
				t.Fatalf("accepted directory %q", in.DirectoryID)
			}
		case KindGoogle:
			if len(in.AllowedDomains) == 0 {
				t.Fatal("Google without a domain")
			}
		default:
			t.Fatalf("accepted kind %q", in.Kind)
		}
		for _, d := range in.AllowedDomains {
			if !domainRE.MatchString(d) {
				t.Fatalf("accepted domain %q", d)
			}
		}
	})
}
