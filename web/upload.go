package web

import (
	"io"
	"net/http"
	"time"
)

// uploadProgress is what an upload must deliver within each body timeout
// to keep going: 64 KiB, about 2 KB/s with the default 30 s, which the
// slowest mobile link still manages.
const uploadProgress = 64 << 10

// defaultBodyTimeout is used when Config sets none (the server's default).
const defaultBodyTimeout = 30 * time.Second

func (h *Handler) bodyTimeout() time.Duration {
	if h.cfg.BodyTimeout > 0 {
		return h.cfg.BodyTimeout
	}
	return defaultBodyTimeout
}

// uploadBody replaces the fixed read deadline of a request body with one
// that moves: every uploadProgress bytes received give the upload another
// window, never past ceiling.
type uploadBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	window  time.Duration
	ceiling time.Time
	since   int64 // bytes since the deadline last moved
	done    bool
}

func newUploadBody(w http.ResponseWriter, body io.ReadCloser, window time.Duration, ceiling time.Time) *uploadBody {
	u := &uploadBody{ReadCloser: body, rc: http.NewResponseController(w), window: window, ceiling: ceiling}
	u.extend()
	return u
}

func (u *uploadBody) Read(p []byte) (int, error) {
	n, err := u.ReadCloser.Read(p)
	if err == io.EOF {
		u.finish()
	}
	if u.since += int64(n); u.since >= uploadProgress && !u.done {
		u.since = 0
		u.extend()
	}
	return n, err
}

func (u *uploadBody) extend() {
	d := time.Now().Add(u.window)
	if d.After(u.ceiling) {
		d = u.ceiling
	}
	_ = u.rc.SetReadDeadline(d)
}

// finish clears the deadline once the upload has been read: from then on
// net/http reads the connection only to notice a client gone away, and a
// deadline there would cancel the request while the file is stored.
func (u *uploadBody) finish() {
	if !u.done {
		u.done = true
		_ = u.rc.SetReadDeadline(time.Time{})
	}
}
