package trust

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the report for reading on a terminal.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	p("Trust report of tenant %s, made %s", r.Tenant, r.GeneratedAt)
	p("Tenant's public key: %s", r.VerifierKey)
	p("")
	p("1. Audit trail")
	if r.Audit.Verified {
		p("   Verified: %d events, tree size %d, root %s.", r.Audit.Events, r.Audit.TreeSize, r.Audit.RootHash)
	} else {
		p("   It does NOT verify:")
		for _, x := range r.Audit.Problems {
			p("   - %s", x)
		}
	}
	if len(r.Audit.Cosignatures) == 0 {
		p("   No witness has cosigned this checkpoint.")
	}
	for _, c := range r.Audit.Cosignatures {
		p("   Cosigned by witness %s at %s.", c.Witness, c.CreatedAt)
	}
	if c := r.Consistency; c != nil {
		p("")
		p("2. Your earlier checkpoint")
		p("   %s", c.Result)
	}
	p("")
	p("3. Operator accesses since %s: %d", r.OperatorAccess.Since, len(r.OperatorAccess.Events))
	for _, e := range r.OperatorAccess.Events {
		p("   #%d %s %s %s %s", e.Seq, e.Time, e.Actor, e.Action, e.Object)
	}
	p("")
	p("4. Connection security (TLS): %s, minimum %s", r.TLS.Mode, r.TLS.MinVersion)
	if r.TLS.Notes != "" {
		p("   %s", r.TLS.Notes)
	}
	p("")
	p("5. Sign-in and network policies")
	for _, s := range r.Policies {
		p("   %s — %s: %s", s.Area, s.Name, s.Value)
	}
	p("")
	p("6. Backups")
	for _, t := range r.Backups.Targets {
		p("   %s: last backup %s (%s)", t.Name, t.LastBackup, t.Detail)
	}
	if r.Backups.LastDrill != "" {
		p("   Last restore drill %s, passed: %v", r.Backups.LastDrill, r.Backups.DrillOK)
	}
	if r.Backups.Notes != "" {
		p("   %s", r.Backups.Notes)
	}
	p("")
	p("7. Erasures: %d applied, %d re-applied after restores", r.Erasures.Applied, r.Erasures.Reapplied)
	p("")
	p("8. Build: %s %s, %s, revision %s (%s), modified %s, %d dependencies", r.Build.Module, r.Build.Version,
		r.Build.GoVersion, r.Build.Revision, r.Build.Time, r.Build.Modified, len(r.Build.Deps))
	p("   %s", r.Build.ScanNote)
	_, err := io.WriteString(w, b.String())
	return err
}
