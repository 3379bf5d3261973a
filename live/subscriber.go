package live

import (
	"context"

	"github.com/coder/websocket"
)

// Kind is the kind of principal behind a socket.
type Kind string

const (
	KindSession Kind = "session" // a signed-in user's browser session
	KindKiosk   Kind = "kiosk"   // a wall screen holding a kiosk link
)

// Close codes the browser script tells apart. Everything else it answers
// by reconnecting after a backoff.
const (
	// CodeAccessEnded closes a socket whose access is gone (signed out,
	// session ended, kiosk link revoked or expired, access to a topic
	// withdrawn). live.js reloads the page, so the server decides what to
	// show instead: the sign-in page or "link revoked".
	CodeAccessEnded websocket.StatusCode = 4401
	// CodeTooSlow closes a client whose send queue filled up, and
	// CodeBadClient one that sent what the protocol does not allow.
	CodeTooSlow   = websocket.StatusPolicyViolation
	CodeBadClient = websocket.StatusPolicyViolation
)

// Subscriber is who holds one socket. Authenticate fills it in when the
// socket opens; the hub passes it, unchanged, to AllowTopic, to render
// functions, to Key and to CloseWhere predicates.
type Subscriber struct {
	Tenant     string // the tenant's slug
	Kind       Kind
	Principal  string // the user's id for a session, the kiosk link's id for a kiosk
	Credential string // the session's or kiosk link's id — an id, never its token

	// Access is the caller's own view of what this subscriber may see
	// (roles, groups, classes), for AllowTopic and renders. The hub never
	// looks inside it.
	Access any

	// Authorize re-checks that the credential is still good: the session
	// not signed out or expired, the kiosk link not revoked, the tenant
	// not disabled. Required. An error whose strongroom code is
	// EUNAVAILABLE (or a deadline) is a fault: the subscriber gets no
	// update but keeps the socket. Any other error ends its access.
	Authorize func(ctx context.Context) error
}
