// Command vulndb turns the OSV entries shipped in the Go module
// golang.org/x/vulndb (data/osv/GO-*.json) into the database layout that
// govulncheck reads with -db file:///DIR, so the scan runs without the
// network, and summarises a govulncheck JSON stream for the build stamp.
//
//	go run ./scripts/vulndb build -src MODULE_DIR -out DIR -version VERSION
//	govulncheck -db file:///DIR -format json ./... | go run ./scripts/vulndb stamp -database golang.org/x/vulndb@VERSION
//
// The layout (documented with x/vuln's client) is:
//
//	DIR/index/db.json       {"modified": the newest entry's time}
//	DIR/index/modules.json  [{"path", "vulns": [{"id", "modified", "fixed"}]}] sorted by path, then id
//	DIR/ID/GO-YYYY-NNNN.json  each OSV entry
//
// The entries in the module's tree carry no modification time (the public
// database sets it when it deploys), so an entry without one is given the
// time of the vulndb module's commit, which its pseudo-version names.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = buildCmd(os.Args[2:])
	case "stamp":
		err = stampCmd(os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		if errors.Is(err, errVulnerable) {
			os.Exit(3)
		}
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: vulndb build -src DIR -out DIR -version VERSION | vulndb stamp -database NAME@VERSION")
	os.Exit(2)
}

// entry is the part of an OSV entry the index needs; the file itself is
// copied as it is, apart from the times.
type entry struct {
	ID       string     `json:"id"`
	Modified time.Time  `json:"modified"`
	Affected []affected `json:"affected"`
}

type affected struct {
	Package struct {
		Name string `json:"name"`
	} `json:"package"`
	Ranges []osvRange `json:"ranges"`
}

type osvRange struct {
	Type   string `json:"type"`
	Events []struct {
		Introduced string `json:"introduced"`
		Fixed      string `json:"fixed"`
	} `json:"events"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Fixed    string    `json:"fixed,omitempty"`
}

type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

var idPattern = regexp.MustCompile(`^GO-[0-9]{4}-[0-9]{4,}$`)

func buildCmd(args []string) error {
	fs := flag.NewFlagSet("build", flag.ExitOnError)
	src := fs.String("src", "", "directory of the golang.org/x/vulndb module")
	out := fs.String("out", "", "directory to write the database to (replaced)")
	version := fs.String("version", "", "the module's version, a pseudo-version")
	_ = fs.Parse(args)
	if *src == "" || *out == "" || *version == "" {
		return errors.New("build needs -src, -out and -version")
	}
	stamp, err := module.PseudoVersionTime(*version)
	if err != nil {
		return fmt.Errorf("-version %q: %w", *version, err)
	}
	stamp = stamp.UTC()

	osvDir := filepath.Join(*src, "data", "osv")
	names, err := filepath.Glob(filepath.Join(osvDir, "GO-*.json"))
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("no OSV entries in %s", osvDir)
	}

	tmp := *out + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(tmp, "ID"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(tmp, "index"), 0o755); err != nil {
		return err
	}

	modules := map[string]*moduleMeta{}
	var newest time.Time
	for _, name := range names {
		raw, err := os.ReadFile(name) // #nosec G304 -- names come from a glob of the pinned module's own directory
		if err != nil {
			return err
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if !idPattern.MatchString(e.ID) || filepath.Base(name) != e.ID+".json" {
			return fmt.Errorf("%s: id %q does not match the file name", name, e.ID)
		}
		if e.Modified.IsZero() {
			e.Modified = stamp
			raw, err = setTimes(raw, stamp)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		if e.Modified.After(newest) {
			newest = e.Modified
		}
		for _, a := range e.Affected {
			m := modules[a.Package.Name]
			if m == nil {
				m = &moduleMeta{Path: a.Package.Name, Vulns: []moduleVuln{}}
				modules[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified, Fixed: latestFix(a.Ranges)})
		}
		if err := os.WriteFile(filepath.Join(tmp, "ID", e.ID+".json"), raw, 0o600); err != nil {
			return err
		}
	}

	list := make([]*moduleMeta, 0, len(modules))
	for _, m := range modules {
		sort.Slice(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	if err := writeJSON(filepath.Join(tmp, "index", "modules.json"), list); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(tmp, "index", "db.json"), map[string]time.Time{"modified": newest}); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "VERSION"), []byte("golang.org/x/vulndb@"+*version+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.RemoveAll(*out); err != nil {
		return err
	}
	if err := os.Rename(tmp, *out); err != nil {
		return err
	}
	fmt.Printf("vulndb: %d entries for %d modules from golang.org/x/vulndb@%s into %s\n", len(names), len(list), *version, *out)
	return nil
}

// setTimes gives an entry whose modified and published times are the zero
// time the given one, keeping every other field as written.
func setTimes(raw []byte, t time.Time) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	ts, _ := json.Marshal(t)
	for _, k := range []string{"modified", "published"} {
		var old time.Time
		if v, ok := m[k]; !ok || json.Unmarshal(v, &old) != nil || old.IsZero() {
			m[k] = ts
		}
	}
	return json.Marshal(m)
}

// latestFix is x/vuln's NonSupersededFix: the newest fixed version of the
// SEMVER ranges, or "" when a later introduction supersedes it.
func latestFix(ranges []osvRange) string {
	less := func(a, b string) bool {
		if a == "" {
			return b != ""
		}
		if b == "" {
			return false
		}
		return semver.Compare("v"+a, "v"+b) < 0
	}
	var latest string
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && less(latest, e.Fixed) {
				latest = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && less(latest, e.Introduced) {
				latest = ""
				break
			}
		}
	}
	return latest
}

func writeJSON(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(name, b, 0o600)
}

var errVulnerable = errors.New("reachable vulnerabilities")

// Stamp is the JSON the build links into strongroom/trust.buildVulnScan.
type Stamp struct {
	Tool      string   `json:"tool"`
	Database  string   `json:"database"`
	ScannedAt string   `json:"scanned_at"`
	Reachable []string `json:"reachable"`
	Result    string   `json:"result"`
}

// stampCmd reads govulncheck's -format json stream, prints the IDs of the
// vulnerabilities whose vulnerable symbols the code calls (a finding whose
// trace starts at a function) to errOut, and the base64 of the stamp to out.
func stampCmd(args []string, in io.Reader, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("stamp", flag.ExitOnError)
	database := fs.String("database", "", "name@version of the database scanned with")
	tool := fs.String("tool", "govulncheck v1.9.0", "the scanner and its version")
	allow := fs.Bool("allow-vulnerable", false, "exit 0 even when a vulnerability is reachable")
	accepted := fs.String("accepted", "", "file of reachable IDs accepted until a fix ships (ID, then a reason)")
	_ = fs.Parse(args)
	if *database == "" {
		return errors.New("stamp needs -database")
	}
	reachable, err := reachableIDs(in)
	if err != nil {
		return err
	}
	s := Stamp{
		Tool:      *tool,
		Database:  *database,
		ScannedAt: time.Now().UTC().Format(time.RFC3339),
		Reachable: reachable,
		Result:    "clean",
	}
	if len(reachable) > 0 {
		s.Result = "vulnerable"
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	fmt.Fprintf(errOut, "vulnscan: %s\n", b)
	fmt.Fprintln(out, base64.StdEncoding.EncodeToString(b))
	ok := map[string]bool{}
	if *accepted != "" {
		raw, err := os.ReadFile(*accepted)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if f := strings.Fields(line); len(f) > 1 && !strings.HasPrefix(f[0], "#") {
				ok[f[0]] = true
			}
		}
	}
	var fail []string
	for _, id := range reachable {
		if ok[id] {
			fmt.Fprintf(errOut, "vulnscan: %s is reachable and accepted in %s\n", id, *accepted)
			delete(ok, id)
			continue
		}
		fail = append(fail, id)
	}
	for id := range ok {
		fmt.Fprintf(errOut, "vulnscan: %s is accepted but no longer reachable: remove it from %s\n", id, *accepted)
	}
	if len(fail) > 0 && !*allow {
		return fmt.Errorf("%w: %s", errVulnerable, strings.Join(fail, " "))
	}
	return nil
}

func reachableIDs(in io.Reader) ([]string, error) {
	type frame struct {
		Function string `json:"function"`
	}
	type message struct {
		Finding *struct {
			OSV   string  `json:"osv"`
			Trace []frame `json:"trace"`
		} `json:"finding"`
	}
	seen := map[string]bool{}
	dec := json.NewDecoder(bufio.NewReader(in))
	messages := 0
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading govulncheck's output: %w", err)
		}
		messages++
		if m.Finding != nil && len(m.Finding.Trace) > 0 && m.Finding.Trace[0].Function != "" {
			seen[m.Finding.OSV] = true
		}
	}
	if messages == 0 {
		return nil, errors.New("govulncheck printed nothing")
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}
