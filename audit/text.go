package audit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"strongroom/store"
)

// Text that people type — a document's title, a note, a search — may name
// a person nobody linked to it. Writers seal such values under a text
// subject of the record they belong to (TextSubject("document", "12")),
// so that an erasure that finds the person named there can destroy that
// key and leave the events' leaves, and so the trail, untouched.
//
// A record's text key can be destroyed while the record lives on, and its
// later events need a key again: the subject id stored with each event is
// the text subject plus a random suffix naming the key it was sealed
// under ("text:document:12/9f3a…"). After an erasure the next event makes a
// new key with a new suffix; the older events name the destroyed one and
// read back erased.

// textPrefix begins every text subject.
const textPrefix = "text:"

var textSubjectPattern = regexp.MustCompile(`^text:[a-z_]{1,32}:[a-z0-9-]{1,64}$`)

// TextSubject returns the text subject of the record of kind with key (an
// id, or for searches the searcher and the day).
func TextSubject(kind, key string) string { return textPrefix + kind + ":" + key }

// QueriesSubject is the text subject that a user's typed queries of one
// day (searches, list filters) are sealed under: an erasure that finds a
// person's name among them makes that day's queries of that user
// unreadable, and no more.
func QueriesSubject(userID int64, at time.Time) string {
	return TextSubject("queries", strconv.FormatInt(userID, 10)+"-"+at.UTC().Format("20060102"))
}

// IsTextSubject reports whether a stored subject id is a text subject's.
func IsTextSubject(subjectID string) bool { return strings.HasPrefix(subjectID, textPrefix) }

// textKey returns the key a new event of the text subject is sealed under
// and the subject id to store with it, making one on first use.
func (l *Log) textKey(ctx context.Context, tx *store.Tx, subject string, cache *keyCache) (string, []byte, error) {
	if id, ok := cache.text[subject]; ok {
		return id, cache.keys[id], nil
	}
	if !textSubjectPattern.MatchString(subject) {
		return "", nil, fmt.Errorf("audit log of %s: %q is not a text subject", l.slug, subject)
	}
	var id string
	err := tx.QueryRowContext(ctx, `SELECT subject_id FROM audit_subject_keys WHERE subject_id > ? AND subject_id < ?
		ORDER BY subject_id DESC LIMIT 1`, subject+"/", subject+"0").Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", nil, err
		}
		id = subject + "/" + hex.EncodeToString(b[:])
	case err != nil:
		return "", nil, fmt.Errorf("audit log of %s: read text key: %w", l.slug, err)
	}
	k, err := l.subjectKey(ctx, tx, id, cache.keys)
	if err != nil {
		return "", nil, err
	}
	cache.text[subject] = id
	return id, k, nil
}

// keyCache holds the subject keys a batch of events used, and the stored
// subject id each text subject resolved to.
type keyCache struct {
	keys map[string][]byte
	text map[string]string
}

func newKeyCache() *keyCache {
	return &keyCache{keys: map[string][]byte{}, text: map[string]string{}}
}

func (c *keyCache) clear() {
	for _, k := range c.keys {
		clear(k)
	}
}

// TextMentioning returns the stored text subjects (with their key suffix)
// of every event whose sealed text match accepts, reading inside tx: the
// caller erases them (EraseSubject) in the same transaction. Events whose
// key is already gone are skipped.
func (l *Log) TextMentioning(ctx context.Context, tx *store.Tx, match func(string) bool) ([]string, error) {
	stored, err := l.readStored(ctx, tx, `SELECT body FROM audit_events WHERE subject_id > ? AND subject_id < ? ORDER BY seq`,
		textPrefix, "text;")
	if err != nil {
		return nil, err
	}
	keys := map[string][]byte{}
	defer func() {
		for _, k := range keys {
			clear(k)
		}
	}()
	found := map[string]bool{}
	var out []string
	for _, s := range stored {
		if found[s.Subject] {
			continue
		}
		e, err := s.event()
		if err != nil {
			return nil, err
		}
		if err := l.openPersonal(ctx, tx, &e, s, keys); err != nil {
			return nil, err
		}
		if e.Erased || !mentions(e, match) {
			continue
		}
		found[s.Subject] = true
		out = append(out, s.Subject)
	}
	return out, nil
}

// mentions reports whether match accepts any sealed value of e.
func mentions(e Event, match func(string) bool) bool {
	for _, v := range e.Personal {
		if match(v) {
			return true
		}
	}
	for _, c := range e.Changes {
		if c.Personal && (match(fmt.Sprint(c.Before)) || match(fmt.Sprint(c.After))) {
			return true
		}
	}
	return false
}

// SealTyped marks the fields of e that typed names personal, sealed under
// the text subject of the record e is about (its ObjectType and ObjectID),
// when e has no subject of its own; e's Changes are copied, never changed
// in place, since callers may share them.
func (e *Event) SealTyped(typed map[string]bool) {
	if e.SubjectID != "" {
		return
	}
	var out []Change
	for i, c := range e.Changes {
		if !typed[c.Field] || c.Personal {
			continue
		}
		if out == nil {
			out = append([]Change(nil), e.Changes...)
		}
		out[i].Personal = true
	}
	if out != nil {
		e.Changes, e.SubjectID = out, TextSubject(e.ObjectType, e.ObjectID)
	}
}
