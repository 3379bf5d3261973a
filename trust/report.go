// Package trust builds a tenant's trust report: one document, signed with
// the tenant's audit key, that states what Strongroom promises the tenant
// and the evidence for each promise (the audit tree and its witnesses'
// cosignatures, every operator access, the TLS, sign-in and network
// policies in force, backups, erasures, and the exact build running). It
// verifies offline with the tenant's public key and the witnesses' keys
// alone (Verify), so the tenant need not trust the operator who serves it.
package trust

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/witness"
)

// Format names the report's layout; it is the first line of the signed note.
const Format = "strongroom trust report v1"

// buildVulnScan is set at build time (-ldflags "-X
// strongroom/trust.buildVulnScan=BASE64"): base64 of the JSON VulnScan of
// the build. Empty: the build was not scanned.
var buildVulnScan string

// Report is the trust report. Its JSON encoding (encoding/json of this
// struct, fields in this order) is the canonical form that is signed.
type Report struct {
	Format      string `json:"format"`
	Tenant      string `json:"tenant"`
	Origin      string `json:"origin"` // the audit log's checkpoint origin
	GeneratedAt string `json:"generated_at"`
	VerifierKey string `json:"verifier_key"` // informational: verify with a key you pinned

	Audit          AuditSection        `json:"audit"`
	Consistency    *ConsistencySection `json:"consistency,omitempty"`
	OperatorAccess AccessSection       `json:"operator_access"`
	TLS            TLSSection          `json:"tls"`
	Policies       []Setting           `json:"policies"`
	Backups        BackupSection       `json:"backups"`
	Erasures       ErasureSection      `json:"erasures"`
	Build          BuildSection        `json:"build"`
}

// AuditSection: the audit tree verified up to a signed checkpoint.
type AuditSection struct {
	Verified     bool                `json:"verified"`
	Events       int64               `json:"events"`
	Problems     []string            `json:"problems"`
	TreeSize     uint64              `json:"tree_size"`
	RootHash     string              `json:"root_hash"`  // base64
	Checkpoint   string              `json:"checkpoint"` // the signed note
	Cosignatures []audit.Cosignature `json:"cosignatures"`
}

// ConsistencySection: a checkpoint the tenant kept, checked against today's.
type ConsistencySection struct {
	OldSize  uint64   `json:"old_size"`
	OldRoot  string   `json:"old_root"`
	NewSize  uint64   `json:"new_size"`
	Verified bool     `json:"verified"`
	Result   string   `json:"result"` // the exact failure, or what was verified
	Proof    []string `json:"proof"`  // base64 consistency proof old → new
}

// AccessSection: audit events by the operator's staff, or about their
// access, since a date.
type AccessSection struct {
	Since  string   `json:"since"`
	Events []Access `json:"events"`
}

// Access is one such event.
type Access struct {
	Seq      int64             `json:"seq"`
	Time     string            `json:"time"`
	Actor    string            `json:"actor"` // kind:id
	Action   string            `json:"action"`
	Object   string            `json:"object"`
	SourceIP string            `json:"source_ip"`
	Details  map[string]string `json:"details"`
}

// TLSSection: the TLS settings the server runs with.
type TLSSection struct {
	Mode         string   `json:"mode"` // "acme", "files", "plain HTTP behind a proxy", …
	MinVersion   string   `json:"min_version"`
	CipherSuites []string `json:"cipher_suites"`
	Notes        string   `json:"notes"`
}

// Setting is one security setting in force: a named value and what it means.
type Setting struct {
	Area  string `json:"area"` // "Sign-in lockout", "Two-factor", "IP allowlist", "Single sign-on"
	Name  string `json:"name"`
	Value string `json:"value"`
}

// BackupSection: the last backup per target and the last restore drill.
type BackupSection struct {
	Targets   []BackupTarget `json:"targets"`
	LastDrill string         `json:"last_drill"` // RFC 3339, or "" when none
	DrillOK   bool           `json:"drill_ok"`
	Notes     string         `json:"notes"`
}

// BackupTarget is the state of one backup target.
type BackupTarget struct {
	Name       string `json:"name"`
	LastBackup string `json:"last_backup"`
	OK         bool   `json:"ok"`
	Detail     string `json:"detail"`
}

// ErasureSection: erasures applied, and re-applied after restores, as the
// audit trail records them (subject.erase events).
type ErasureSection struct {
	Applied   int      `json:"applied"`
	Reapplied int      `json:"reapplied"`
	Entries   []string `json:"entries"`
}

// BuildSection: the program that made the report.
type BuildSection struct {
	Module    string    `json:"module"`
	Version   string    `json:"version"`
	GoVersion string    `json:"go_version"`
	Revision  string    `json:"vcs_revision"`
	Time      string    `json:"vcs_time"`
	Modified  string    `json:"vcs_modified"`
	Deps      []Dep     `json:"dependencies"`
	VulnScan  *VulnScan `json:"vuln_scan"`
	ScanNote  string    `json:"scan_note"`
}

// Dep is one dependency module.
type Dep struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Sum     string `json:"sum"`
}

// VulnScan is the vulnerability scan of the build, as embedded at build time.
type VulnScan struct {
	Tool      string   `json:"tool"`
	Database  string   `json:"database"`
	ScannedAt string   `json:"scanned_at"`
	Reachable []string `json:"reachable"`
	Result    string   `json:"result"`
}

// Inputs are the parts of the report that the caller knows and the audit
// log does not.
type Inputs struct {
	Since      time.Time // operator accesses from this time
	Checkpoint []byte    // a checkpoint the tenant kept, or nil
	TLS        TLSSection
	Policies   []Setting
	Backups    BackupSection
	Now        time.Time // zero: time.Now
}

// isOperatorAccess reports whether e belongs in the operator access section.
func isOperatorAccess(e audit.Event) bool {
	if e.Actor.Kind == audit.ActorOperator {
		return true
	}
	for _, p := range []string{"operator.", "grant.", "provider_access."} {
		if strings.HasPrefix(e.Action, p) {
			return true
		}
	}
	return false
}

// Build assembles the report of the tenant whose audit log is l.
func Build(ctx context.Context, slug string, l *audit.Log, in Inputs) (*Report, error) {
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	vkey, err := l.VerifierKey(ctx)
	if err != nil {
		return nil, err
	}
	cp, cosigs, err := l.LatestWitnessed(ctx)
	if err != nil {
		return nil, err
	}
	size, root, err := checkpointHead(cp)
	if err != nil {
		return nil, err
	}
	if cosigs == nil {
		cosigs = []audit.Cosignature{}
	}
	r := &Report{Format: Format, Tenant: slug, GeneratedAt: now.UTC().Format(time.RFC3339), VerifierKey: vkey,
		Origin: strings.SplitN(cp, "\n", 2)[0],
		TLS:    in.TLS, Policies: in.Policies, Backups: in.Backups, Build: buildInfo()}
	if r.Policies == nil {
		r.Policies = []Setting{}
	}
	if r.Backups.Targets == nil {
		r.Backups.Targets = []BackupTarget{}
	}
	if r.Erasures.Entries == nil {
		r.Erasures.Entries = []string{}
	}
	if r.TLS.CipherSuites == nil {
		r.TLS.CipherSuites = []string{}
	}
	rep, err := l.Verify(ctx)
	if err != nil {
		return nil, err
	}
	r.Audit = AuditSection{Verified: rep.OK(), Events: rep.Events, Problems: append([]string{}, rep.Problems...),
		TreeSize: size, RootHash: base64.StdEncoding.EncodeToString(root), Checkpoint: cp, Cosignatures: cosigs}
	if in.Checkpoint != nil {
		r.Consistency = CheckConsistency(ctx, l, vkey, in.Checkpoint, cp)
	}
	r.OperatorAccess = AccessSection{Since: in.Since.UTC().Format(time.RFC3339), Events: []Access{}}
	for after := int64(0); ; {
		evs, err := l.Events(ctx, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			after = e.Seq
			if e.Action == "subject.erase" {
				again := e.Details["reapplied"] == "true"
				what := "erased"
				if again {
					r.Erasures.Reapplied++
					what = "erased again after a restore"
				} else {
					r.Erasures.Applied++
				}
				r.Erasures.Entries = append(r.Erasures.Entries, fmt.Sprintf("%s %s %s (event %d)",
					e.Time.UTC().Format(time.RFC3339), strings.Trim(e.ObjectType+" "+e.ObjectID, " "), what, e.Seq))
			}
			if e.Time.Before(in.Since) || !isOperatorAccess(e) {
				continue
			}
			d := e.Details
			if d == nil {
				d = map[string]string{}
			}
			r.OperatorAccess.Events = append(r.OperatorAccess.Events, Access{Seq: e.Seq, Time: e.Time.UTC().Format(time.RFC3339),
				Actor: e.Actor.Kind + ":" + e.Actor.ID, Action: e.Action, Object: strings.Trim(e.ObjectType+":"+e.ObjectID, ":"),
				SourceIP: e.SourceIP, Details: d})
		}
		if len(evs) < 1000 {
			break
		}
	}
	return r, nil
}

// CheckConsistency checks that old, a checkpoint the tenant kept, is
// signed with vkey and that the log's checkpoint cur extends it.
func CheckConsistency(ctx context.Context, l *audit.Log, vkey string, old []byte, cur string) *ConsistencySection {
	s := &ConsistencySection{Proof: []string{}}
	text, err := audit.OpenNote(old, vkey)
	if err != nil {
		s.Result = "The uploaded checkpoint is not signed with this tenant's audit key: " + err.Error() + "."
		return s
	}
	oldSize, oldRoot, err := checkpointHead(text + "\n")
	if err != nil || !strings.HasPrefix(text, strings.SplitN(cur, "\n", 2)[0]+"\n") {
		s.Result = "The uploaded file is not a checkpoint of this tenant's audit log."
		return s
	}
	curSize, curRoot, _ := checkpointHead(cur)
	s.OldSize, s.OldRoot, s.NewSize = oldSize, base64.StdEncoding.EncodeToString(oldRoot), curSize
	if oldSize > curSize {
		s.Result = fmt.Sprintf("The uploaded checkpoint covers %d events, more than the %d the log has now: the log was cut back.", oldSize, curSize)
		return s
	}
	p, err := l.ConsistencyProof(ctx, oldSize, curSize)
	if err != nil {
		s.Result = "The consistency proof could not be computed: " + err.Error()
		return s
	}
	for _, h := range p {
		s.Proof = append(s.Proof, base64.StdEncoding.EncodeToString(h))
	}
	if err := verifyConsistency(oldSize, curSize, p, oldRoot, curRoot); err != nil {
		s.Result = fmt.Sprintf("The log does NOT extend the uploaded checkpoint of %d events: it was rewritten.", oldSize)
		return s
	}
	s.Verified = true
	s.Result = fmt.Sprintf("The log of %d events extends the uploaded checkpoint of %d events unchanged.", curSize, oldSize)
	return s
}

func buildInfo() BuildSection {
	b := BuildSection{Deps: []Dep{}}
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.Module, b.Version, b.GoVersion = bi.Main.Path, bi.Main.Version, bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value
			}
		}
		for _, d := range bi.Deps {
			if d.Replace != nil {
				d = d.Replace
			}
			b.Deps = append(b.Deps, Dep{Path: d.Path, Version: d.Version, Sum: d.Sum})
		}
	}
	b.VulnScan, b.ScanNote = vulnScan(buildVulnScan)
	return b
}

// vulnScan decodes the embedded scan; the note says plainly what is known.
func vulnScan(enc string) (*VulnScan, string) {
	if enc == "" {
		return nil, "This build was not scanned for known vulnerabilities."
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	var v VulnScan
	if err == nil {
		err = json.Unmarshal(raw, &v)
	}
	if err != nil || (v.Result != "clean" && v.Result != "vulnerable") {
		return nil, "The vulnerability scan embedded in this build is unreadable: treat the build as not scanned."
	}
	if v.Reachable == nil {
		v.Reachable = []string{}
	}
	if v.Result == "clean" {
		return &v, fmt.Sprintf("Scanned with %s against %s on %s: no known vulnerability is reachable.", v.Tool, v.Database, v.ScannedAt)
	}
	return &v, fmt.Sprintf("Scanned with %s against %s on %s: %d known vulnerabilities are reachable: %s.",
		v.Tool, v.Database, v.ScannedAt, len(v.Reachable), strings.Join(v.Reachable, ", "))
}

// checkpointHead parses the size and root of a checkpoint body or note.
func checkpointHead(cp string) (uint64, []byte, error) {
	lines := strings.SplitN(cp, "\n", 4)
	if len(lines) < 3 {
		return 0, nil, errors.New("malformed checkpoint")
	}
	var size uint64
	if _, err := fmt.Sscanf(lines[1], "%d", &size); err != nil || fmt.Sprint(size) != lines[1] {
		return 0, nil, errors.New("malformed checkpoint size")
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		return 0, nil, errors.New("malformed checkpoint root")
	}
	return size, root, nil
}

// Signed is the signed report as written: the report's canonical bytes and
// a signed note over their SHA-256.
type Signed struct {
	Report    json.RawMessage `json:"report"`
	Signature string          `json:"signature"` // a signed note, see Sign
}

// noteText is the text of the signed note over canonical report bytes.
func noteText(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return Format + "\nsha256 " + hex.EncodeToString(sum[:]) + "\n"
}

// Sign signs r with the tenant's audit key and returns the signed JSON.
func Sign(r *Report, l *audit.Log) ([]byte, error) {
	canonical, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	sig, err := l.SignNote(noteText(canonical))
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(&Signed{Report: canonical, Signature: string(sig)}, "", "  ")
}

// Verification is what Verify established beyond the signature.
type Verification struct {
	Report *Report
	// Witnessed names the witnesses (of those given) whose cosignature of
	// the report's checkpoint verifies.
	Witnessed []string
	Problems  []string // witnesses whose cosignature is missing or bad
}

// Verify checks a signed report with nothing but the tenant's pinned
// verifier key and, optionally, witnesses' cosignature keys: the report's
// signature over its exact bytes, that those bytes are canonical, that the
// checkpoint is the tenant's and names the tree size and root reported,
// and each given witness's cosignature of it.
func Verify(signed []byte, verifierKey string, witnessKeys []string) (*Verification, error) {
	var s Signed
	if err := json.Unmarshal(signed, &s); err != nil || len(s.Report) == 0 {
		return nil, reportError("it is not a signed trust report")
	}
	text, err := audit.OpenNote([]byte(s.Signature), verifierKey)
	if err != nil {
		return nil, reportError(err.Error())
	}
	// The report is decoded strictly and encoded again: the signature is
	// over the canonical encoding, so key order and spacing do not matter
	// and any changed, added or removed field does.
	var r Report
	dec := json.NewDecoder(bytes.NewReader(s.Report))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, reportError("the report is malformed or has fields this version does not know")
	}
	canonical, err := json.Marshal(&r)
	if err != nil || text != noteText(canonical) {
		return nil, reportError("the report was changed after it was signed")
	}
	if r.Format != Format {
		return nil, reportError("it is not a " + Format)
	}
	cpText, err := audit.OpenNote([]byte(r.Audit.Checkpoint), verifierKey)
	if err != nil {
		return nil, reportError("its checkpoint: " + err.Error())
	}
	size, root, err := checkpointHead(cpText)
	if err != nil || size != r.Audit.TreeSize || base64.StdEncoding.EncodeToString(root) != r.Audit.RootHash ||
		!strings.HasPrefix(cpText, r.Origin+"\n") {
		return nil, reportError("its checkpoint does not match the tree size and root it reports")
	}
	v := &Verification{Report: &r}
	for _, k := range witnessKeys {
		wv, err := witness.NewCosignatureVerifier(k)
		if err != nil {
			return nil, strongroom.FieldError("witness-key", "The witness key %q is malformed.", k)
		}
		ok := false
		for _, c := range r.Audit.Cosignatures {
			if c.Witness == wv.Name() {
				if _, err := witness.OpenCosigned([]byte(r.Audit.Checkpoint), []byte(c.Cosignature), wv); err == nil {
					ok = true
				}
			}
		}
		if ok {
			v.Witnessed = append(v.Witnessed, wv.Name())
		} else {
			v.Problems = append(v.Problems, "witness "+wv.Name()+" has no valid cosignature of the checkpoint")
		}
	}
	return v, nil
}

func reportError(why string) error {
	return strongroom.Errorf(strongroom.EINVALID, "The trust report does not verify: %s.", why)
}
