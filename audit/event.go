package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"strongroom"
)

// Actor kinds. Authentication events name users by id only, never by name.
const (
	ActorUser      = "user"      // a signed-in user; ID is the user id
	ActorToken     = "token"     // an API token; ID is the token id
	ActorSystem    = "system"    // Strongroom itself (jobs, migrations); ID optional
	ActorOperator  = "operator"  // a named member of the operator's staff; ID is theirs
	ActorAnonymous = "anonymous" // no identity yet (a failed login); ID empty
	ActorSCIM      = "scim"      // an identity provider's provisioning client; ID is its SCIM token's id
)

// Actor is who caused an event.
type Actor struct {
	Kind string
	ID   string
}

// Change is one changed field of a record. Before and After are encoded as
// JSON, so numbers read back as float64 and structs as maps. When Personal
// is set, both values are sealed under the event's subject key and become
// unreadable once that subject is erased.
type Change struct {
	Field         string
	Before, After any
	Personal      bool
}

// Event is one entry of the audit log. Seq and Time are set by the log:
// Seq is gap-free in commit order, Time never goes backwards.
type Event struct {
	Seq        int64
	Time       time.Time
	Actor      Actor
	SourceIP   string
	Action     string // "case.update", "auth.login_failed", …
	ObjectType string
	ObjectID   string
	Changes    []Change
	Details    map[string]string // stored in clear: never put personal data here
	Personal   map[string]string // sealed under SubjectID's key
	SubjectID  string            // the person Personal and personal changes are about

	// Erased is set on events read back whose subject key was erased:
	// their personal values are gone.
	Erased bool
}

// formatVersion is the first field of every stored event. Stored bytes are
// never rewritten, so a future format gets a new version and readers keep
// understanding the old one.
const formatVersion = 1

// validate checks what the log needs before anything is written.
func (e *Event) validate() error {
	switch e.Actor.Kind {
	case ActorUser, ActorToken, ActorOperator, ActorSCIM:
		if e.Actor.ID == "" {
			return strongroom.FieldError("actor", "An audit event by a %s must name its id.", e.Actor.Kind)
		}
	case ActorSystem:
	case ActorAnonymous:
		if e.Actor.ID != "" {
			return strongroom.FieldError("actor", "An anonymous audit event carries no actor id.")
		}
	default:
		return strongroom.FieldError("actor", "Unknown audit actor kind %q.", e.Actor.Kind)
	}
	if e.Action == "" {
		return strongroom.FieldError("action", "An audit event needs an action.")
	}
	if e.SubjectID == "" && len(e.Personal) > 0 {
		return strongroom.FieldError("subject", "Personal values in an audit event need a subject id.")
	}
	for _, c := range e.Changes {
		if c.Field == "" {
			return strongroom.FieldError("changes", "A changed field needs a name.")
		}
		if c.Personal && e.SubjectID == "" {
			return strongroom.FieldError("subject", "A personal change (%s) needs a subject id.", c.Field)
		}
	}
	return nil
}

// storedChange is a Change as written: in clear, or sealed.
type storedChange struct {
	Field  string `json:"field"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
	Sealed []byte `json:"sealed,omitempty"`
}

// storedTail is what follows the fixed header of a stored event.
type storedTail struct {
	Changes  []storedChange    `json:"changes,omitempty"`
	Details  map[string]string `json:"details,omitempty"`
	Personal []byte            `json:"personal,omitempty"`
}

// storedEvent is the whole stored form, for reading back.
type storedEvent struct {
	V     int    `json:"v"`
	Seq   int64  `json:"seq"`
	Time  string `json:"time"`
	Actor struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
	} `json:"actor"`
	IP     string `json:"ip"`
	Action string `json:"action"`
	Object struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"object"`
	Subject string `json:"subject"`
	storedTail
}

// row is an event as the columns of audit_events hold it.
type row struct {
	seq                  int64
	at                   string
	actorKind, actorID   string
	sourceIP, action     string
	objectType, objectID string
	subjectID            string
	body, leafHash       []byte
}

// header renders the fixed first part of a stored event from the indexed
// columns, without the closing brace. Append writes it and Verify rebuilds
// it from the columns, so a column edited apart from the body is caught.
func header(dst []byte, r *row) []byte {
	dst = append(dst, `{"v":`...)
	dst = strconv.AppendInt(dst, formatVersion, 10)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendInt(dst, r.seq, 10)
	dst = appendField(dst, `,"time":`, r.at)
	dst = appendField(dst, `,"actor":{"kind":`, r.actorKind)
	dst = appendField(dst, `,"id":`, r.actorID)
	dst = appendField(dst, `},"ip":`, r.sourceIP)
	dst = appendField(dst, `,"action":`, r.action)
	dst = appendField(dst, `,"object":{"type":`, r.objectType)
	dst = appendField(dst, `,"id":`, r.objectID)
	dst = appendField(dst, `},"subject":`, r.subjectID)
	return dst
}

func appendField(dst []byte, key, value string) []byte {
	return appendString(append(dst, key...), value)
}

// encodeBody returns the canonical bytes of an event: the header, then the
// tail as encoding/json writes it (without HTML escaping). Nothing needs to
// re-create these bytes later: the leaf hashes them as stored.
func encodeBody(r *row, tail *storedTail) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tail); err != nil {
		return nil, fmt.Errorf("encode audit event %d: %w", r.seq, err)
	}
	t := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	body := header(make([]byte, 0, 256+len(t)), r)
	if len(t) > 2 { // more than "{}"
		body = append(body, ',')
		body = append(body, t[1:]...)
	} else {
		body = append(body, '}')
	}
	return body, nil
}

// bodySeq reads the sequence number an event's bytes claim, without a full
// decode: it sits at a fixed place in the header.
func bodySeq(body []byte) (int64, bool) {
	const prefix = `{"v":1,"seq":`
	if !bytes.HasPrefix(body, []byte(prefix)) {
		return 0, false
	}
	rest := body[len(prefix):]
	end := bytes.IndexByte(rest, ',')
	if end <= 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	return n, err == nil
}

// matchesColumns reports whether body starts with the header rebuilt from
// r's columns, ending at a field boundary.
func matchesColumns(scratch []byte, r *row) ([]byte, bool) {
	scratch = header(scratch[:0], r)
	ok := bytes.HasPrefix(r.body, scratch) && len(r.body) > len(scratch) &&
		(r.body[len(scratch)] == ',' || r.body[len(scratch)] == '}')
	return scratch, ok
}

// decodeBody parses stored bytes back into an Event, leaving sealed values
// for the caller to open.
func decodeBody(body []byte) (*storedEvent, error) {
	var s storedEvent
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, fmt.Errorf("decode audit event: %w", err)
	}
	if s.V != formatVersion {
		return nil, fmt.Errorf("decode audit event %d: unknown format version %d", s.Seq, s.V)
	}
	return &s, nil
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced, nothing else changed. It is
// written out (rather than json.Marshal) so Verify can rebuild headers
// cheaply and exactly.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 end lines in JavaScript; escape them as
		// encoding/json does, so a line of JSON stays one line everywhere.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
