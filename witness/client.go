package witness

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Client submits checkpoints to one witness.
type Client struct {
	URL      string        // the witness's base URL; add-checkpoint is under it
	Verifier note.Verifier // the witness's cosignature/v1 key
	HTTP     *http.Client  // nil: a client with a 20-second timeout
}

// ConflictError is a 409 from the witness: its last cosigned size for the
// log is Size, not the old size sent.
type ConflictError struct{ Size uint64 }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("the witness has tree size %d for this log", e.Size)
}

// RefusedError is any other refusal, with the witness's status and text.
type RefusedError struct {
	Status int
	Text   string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("the witness refused the checkpoint (%d): %s", e.Status, e.Text)
}

// NewClient parses "URL=KEY" (the --witness flag's form).
func NewClient(spec string) (*Client, error) {
	u, k, ok := strings.Cut(spec, "=")
	if !ok || !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return nil, errors.New("a witness is URL=KEY, the URL starting with https:// or http://")
	}
	v, err := NewCosignatureVerifier(k)
	if err != nil {
		return nil, err
	}
	return &Client{URL: strings.TrimSuffix(u, "/"), Verifier: v}, nil
}

// AddCheckpoint sends checkpoint (a signed note) with the consistency proof
// from old, the size the witness last cosigned. It returns the witness's
// cosignature line(s), checked with c.Verifier; a *ConflictError when the
// witness holds another old size; a *RefusedError for other refusals.
func (c *Client) AddCheckpoint(ctx context.Context, old uint64, proof [][]byte, checkpoint []byte) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", old)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h) + "\n")
	}
	b.WriteString("\n")
	b.Write(checkpoint)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/add-checkpoint", &b)
	if err != nil {
		return nil, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", c.Verifier.Name(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", c.Verifier.Name(), err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusConflict:
		n, err := strconv.ParseUint(strings.TrimSpace(string(body)), 10, 64)
		if err != nil {
			return nil, &RefusedError{Status: resp.StatusCode, Text: "unreadable size"}
		}
		return nil, &ConflictError{Size: n}
	default:
		t := strings.TrimSpace(string(body))
		if len(t) > 200 {
			t = t[:200]
		}
		return nil, &RefusedError{Status: resp.StatusCode, Text: t}
	}
	if _, err := OpenCosigned(checkpoint, body, c.Verifier); err != nil {
		return nil, fmt.Errorf("witness %s: %w", c.Verifier.Name(), err)
	}
	return body, nil
}

// OpenCosigned checks that cosig holds a valid cosignature by v of the
// signed note checkpoint, and returns the note's text.
func OpenCosigned(checkpoint, cosig []byte, v note.Verifier) (string, error) {
	i := bytes.LastIndex(checkpoint, []byte("\n\n"))
	if i < 0 {
		return "", errors.New("the checkpoint is not a signed note")
	}
	msg := append(append([]byte(nil), checkpoint[:i+2]...), cosig...)
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return "", errors.New("the cosignature does not verify with the witness's key")
	}
	return n.Text, nil
}
