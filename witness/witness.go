// Package witness is a C2SP tlog-witness: it cosigns a log's checkpoint
// (cosignature/v1, Ed25519) only after checking the log's signature and a
// consistency proof from the last checkpoint it cosigned for that log, so
// that a log shown to its witnesses cannot later be rewritten, rolled back
// or forked without the witnesses refusing. Its state, one tree size and
// root per log, is kept in a file replaced atomically and synced, so that a
// restart never forgets a tree it has cosigned. The client half (Client)
// is what a log calls to submit checkpoints.
//
// See https://c2sp.org/tlog-witness and https://c2sp.org/tlog-cosignature.
package witness

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// maxBody bounds an add-checkpoint request: a checkpoint and at most 64
// proof hashes fit many times over.
const maxBody = 64 << 10

// GenerateKey makes a witness key named name: skey is the private key
// (keep it secret, mode 0600), vkey the cosignature/v1 verifier key that
// logs and tenants pin.
func GenerateKey(name string) (skey, vkey string, err error) {
	skey, v, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", "", fmt.Errorf("witness key: %w", err)
	}
	vkey, err = fnote.VKeyToCosignatureV1(v)
	if err != nil {
		return "", "", fmt.Errorf("witness key: %w", err)
	}
	return skey, vkey, nil
}

// NewCosignatureVerifier returns the verifier of a witness's cosignature/v1
// key, as printed by GenerateKey.
func NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	v, err := fnote.NewVerifierForCosignatureV1(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("witness key %q is malformed: %w", vkey, err)
	}
	return v, nil
}

// Log is a log a witness cosigns: its origin line and its note verifier.
type Log struct {
	Origin   string
	Verifier note.Verifier
}

// ParseLogs reads a logs file: one "ORIGIN KEY" line per log, KEY a note
// verifier key whose name is ORIGIN. Blank lines and lines starting with #
// are ignored.
func ParseLogs(r io.Reader) ([]Log, error) {
	var logs []Log
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		origin, key, ok := strings.Cut(line, " ")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return nil, fmt.Errorf("logs line %d: want \"ORIGIN KEY\"", n)
		}
		v, err := note.NewVerifier(key)
		if err != nil {
			return nil, fmt.Errorf("logs line %d: the key is not a note verifier key", n)
		}
		if v.Name() != origin {
			return nil, fmt.Errorf("logs line %d: the key is named %q, not the origin %q", n, v.Name(), origin)
		}
		if seen[origin] {
			return nil, fmt.Errorf("logs line %d: origin %q is listed twice", n, origin)
		}
		seen[origin] = true
		logs = append(logs, Log{Origin: origin, Verifier: v})
	}
	return logs, sc.Err()
}

// treeHead is what the witness remembers of a log.
type treeHead struct {
	Size uint64 `json:"size"`
	Root []byte `json:"root"`
}

// Witness serves POST /add-checkpoint. It is safe for concurrent use.
type Witness struct {
	signer note.Signer
	vkey   string
	logs   map[string]note.Verifier
	state  string // file of the tree heads

	mu    sync.Mutex
	heads map[string]treeHead
}

// New returns a witness signing with skey (from GenerateKey), cosigning the
// logs listed, keeping its state in the file stateFile (created on first
// use, mode 0600).
func New(skey string, logs []Log, stateFile string) (*Witness, error) {
	s, err := fnote.NewSignerForCosignatureV1(strings.TrimSpace(skey))
	if err != nil {
		return nil, errors.New("the witness key is not a private note key")
	}
	pub, err := vkeyOf(strings.TrimSpace(skey))
	if err != nil {
		return nil, err
	}
	w := &Witness{signer: s, vkey: pub, logs: map[string]note.Verifier{}, state: stateFile, heads: map[string]treeHead{}}
	for _, l := range logs {
		w.logs[l.Origin] = l.Verifier
	}
	b, err := os.ReadFile(stateFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read witness state: %w", err)
	default:
		if err := json.Unmarshal(b, &w.heads); err != nil {
			return nil, fmt.Errorf("witness state %s is damaged: %w", stateFile, err)
		}
	}
	return w, nil
}

// vkeyOf derives the cosignature/v1 verifier key of an Ed25519 note skey.
func vkeyOf(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", errors.New("the witness key is not a private note key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 33 {
		return "", errors.New("the witness key is not an Ed25519 note key")
	}
	v, err := note.NewEd25519VerifierKey(parts[2], ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey))
	if err != nil {
		return "", err
	}
	return fnote.VKeyToCosignatureV1(v)
}

// VerifierKey is the witness's cosignature/v1 public key.
func (w *Witness) VerifierKey() string { return w.vkey }

// Size returns the tree size last cosigned for origin (0 when none).
func (w *Witness) Size(origin string) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.heads[origin].Size
}

// Handler returns the witness's HTTP handler.
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", w.serveAdd)
	return mux
}

// requestError is a refusal with its HTTP status.
type requestError struct {
	status int
	msg    string
	size   uint64 // for 409
}

func (e *requestError) Error() string { return e.msg }

func (w *Witness) serveAdd(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxBody))
	if err != nil {
		http.Error(rw, "request too large or unreadable", http.StatusBadRequest)
		return
	}
	cosig, err := w.AddCheckpoint(body)
	var re *requestError
	if errors.As(err, &re) {
		if re.status == http.StatusConflict {
			rw.Header().Set("Content-Type", "text/x.tlog.size")
			rw.WriteHeader(http.StatusConflict)
			fmt.Fprintf(rw, "%d\n", re.size)
			return
		}
		http.Error(rw, re.msg, re.status)
		return
	}
	if err != nil {
		slog.Error("witness: add-checkpoint failed", "err", err)
		http.Error(rw, "the witness cannot record checkpoints now", http.StatusServiceUnavailable)
		return
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Write(cosig)
}

// AddCheckpoint processes the body of an add-checkpoint request and returns
// the cosignature line(s). Refusals are *requestError with the status the
// tlog-witness specification gives.
func (w *Witness) AddCheckpoint(body []byte) ([]byte, error) {
	head, msg, ok := bytes.Cut(body, []byte("\n\n"))
	if !ok {
		return nil, &requestError{status: http.StatusBadRequest, msg: "malformed request"}
	}
	lines := strings.Split(string(head), "\n")
	oldStr, ok := strings.CutPrefix(lines[0], "old ")
	old, err := strconv.ParseUint(oldStr, 10, 64)
	if !ok || err != nil || (oldStr != "0" && strings.HasPrefix(oldStr, "0")) {
		return nil, &requestError{status: http.StatusBadRequest, msg: "malformed old size"}
	}
	var p [][]byte
	for _, l := range lines[1:] {
		h, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(h) != 32 {
			return nil, &requestError{status: http.StatusBadRequest, msg: "malformed consistency proof"}
		}
		p = append(p, h)
	}
	origin, _, _ := strings.Cut(string(msg), "\n")
	v, known := w.logs[origin]
	if !known {
		return nil, &requestError{status: http.StatusNotFound, msg: "unknown log"}
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return nil, &requestError{status: http.StatusForbidden, msg: "the checkpoint is not signed by the log's key"}
	}
	size, root, err := parseBody(n.Text, origin)
	if err != nil {
		return nil, &requestError{status: http.StatusBadRequest, msg: err.Error()}
	}
	if old > size {
		return nil, &requestError{status: http.StatusBadRequest, msg: "old size is larger than the checkpoint"}
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	last := w.heads[origin]
	if last.Size != old {
		return nil, &requestError{status: http.StatusConflict, size: last.Size, msg: "old size does not match"}
	}
	if old > 0 {
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, old, size, p, last.Root, root); err != nil {
			return nil, &requestError{status: http.StatusUnprocessableEntity, msg: "the consistency proof does not verify"}
		}
	} else if len(p) != 0 {
		return nil, &requestError{status: http.StatusBadRequest, msg: "a proof from size 0 must be empty"}
	}
	heads := make(map[string]treeHead, len(w.heads)+1)
	for k, h := range w.heads {
		heads[k] = h
	}
	heads[origin] = treeHead{Size: size, Root: root}
	if err := writeState(w.state, heads); err != nil {
		return nil, err
	}
	w.heads = heads
	signed, err := note.Sign(&note.Note{Text: n.Text}, w.signer)
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndex(signed, []byte("\n\n"))
	return signed[i+2:], nil
}

// parseBody parses a tlog-checkpoint body: origin, size, base64 root.
func parseBody(text, origin string) (uint64, []byte, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] != origin {
		return 0, nil, errors.New("malformed checkpoint")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || (lines[1] != "0" && strings.HasPrefix(lines[1], "0")) {
		return 0, nil, errors.New("malformed checkpoint size")
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		return 0, nil, errors.New("malformed checkpoint root")
	}
	return size, root, nil
}

// writeState replaces the state file atomically and durably.
func writeState(path string, heads map[string]treeHead) error {
	b, err := json.Marshal(heads)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".witness-state-*")
	if err != nil {
		return fmt.Errorf("write witness state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err = tmp.Chmod(0o600); err == nil {
		if _, err = tmp.Write(b); err == nil {
			err = tmp.Sync()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err == nil {
		var d *os.File
		if d, err = os.Open(dir); err == nil {
			err = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("write witness state: %w", err)
	}
	return nil
}
