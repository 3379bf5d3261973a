package erasure

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"strongroom/erasure/personal"
	"strongroom/store"
	"strongroom/tenancy"
)

// wipe removes everything personal of subj inside tx: their rows and the
// rows linking them, the search entries of those rows, the free-text
// mentions of their values, and last their key, which leaves every sealed
// value about them (their fields, audit values) unreadable. It is the one
// erasure both Erase and Reapply run, so a restore erases exactly as the
// request did.
func wipe(ctx context.Context, tx *store.Tx, h *tenancy.Handle, subj Subject) (Counts, error) {
	var c Counts
	values, err := personalValues(ctx, tx, h, subj)
	if err != nil {
		return c, err
	}
	switch subj.Kind {
	case KindContact:
		err = wipeContact(ctx, tx, subj.ID, &c)
	default:
		err = wipeUser(ctx, tx, subj.ID, &c)
	}
	if err != nil {
		return c, err
	}
	if err := rewriteMentions(ctx, tx, values, &c); err != nil {
		return c, err
	}
	if err := eraseTextMentions(ctx, tx, h, values, &c); err != nil {
		return c, err
	}
	var keys int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_subject_keys WHERE subject_id = ?`, subj.String()).Scan(&keys); err != nil {
		return c, fmt.Errorf("erase %s: %w", subj, err)
	}
	c.KeyDestroyed = keys > 0
	if err := h.Audit.EraseSubject(ctx, tx, subj.String()); err != nil {
		return c, err
	}
	return c, nil
}

// personalValues reads the values of subj that free text may mention
// (name, e-mail, phone; a user's user name too), while their key is still
// there. Once the key is gone they cannot be read, nor looked for.
func personalValues(ctx context.Context, tx *store.Tx, h *tenancy.Handle, subj Subject) ([]string, error) {
	table, cols, username := "contacts", []string{"name", "email", "phone", "address"}, "''"
	if subj.Kind == KindUser {
		table, cols, username = "users", []string{"display_name", "email"}, "t.username"
	}
	plain := make([]string, len(cols))
	var user string
	var sealed, sealedKey []byte
	dest := []any{&sealed, &sealedKey, &user}
	for i := range plain {
		dest = append(dest, &plain[i])
	}
	rows, err := tx.QueryContext(ctx, `SELECT t.sealed, sk.sealed_key, `+username+`, t.`+strings.Join(cols, ", t.")+` FROM `+table+
		` t LEFT JOIN audit_subject_keys sk ON sk.subject_id = ? WHERE t.id = ?`, subj.String(), subj.ID)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", subj, err)
	}
	found := rows.Next()
	if found {
		err = rows.Scan(dest...)
	}
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", subj, err)
	}
	if !found {
		return nil, rows.Err()
	}
	values := plain
	if sealed != nil {
		// Fields that do not open cannot be looked for; the key is
		// destroyed all the same.
		f, _, _ := personal.Open(h, subj.String(), table, sealedKey, sealed, cols...)
		values = values[:0]
		for _, c := range cols {
			values = append(values, f[c])
		}
	}
	if user != "" && user != tombstone(subj.ID) {
		values = append(values, user)
	}
	return values, nil
}

func wipeContact(ctx context.Context, tx *store.Tx, id int64, c *Counts) error {
	steps := []struct {
		sql   string
		count *int
	}{
		{`DELETE FROM record_classes WHERE record_type = 'contact' AND record_id IN (SELECT id FROM case_contacts WHERE contact_id = ?)`, nil},
		{`DELETE FROM search_index WHERE record_type = 'contact' AND record_id IN (SELECT id FROM case_contacts WHERE contact_id = ?)`, &c.IndexRows},
		{`DELETE FROM case_contacts WHERE contact_id = ?`, &c.Links},
	}
	for _, s := range steps {
		res, err := tx.ExecContext(ctx, s.sql, id)
		if err != nil {
			return fmt.Errorf("erase contact %d: %w", id, err)
		}
		if s.count != nil {
			n, _ := res.RowsAffected()
			*s.count += int(n)
		}
	}
	// The row stays as a tombstone, live so that no purge removes it: SQLite
	// gives a deleted highest id to the next row, and a new person must
	// never become "contact:N" of an erased one (the ledger would erase
	// them at the next restore).
	now := store.FormatTime(time.Now())
	_, err := tx.ExecContext(ctx, `INSERT INTO contacts (id, kind, name, email, phone, address, created_at, updated_at, deleted_at, sealed)
		VALUES (?, 'person', '', '', '', '', ?, ?, '', ?)
		ON CONFLICT (id) DO UPDATE SET name = '', email = '', phone = '', address = '', deleted_at = '', sealed = excluded.sealed,
		version = contacts.version + 1`, id, now, now, personal.Tombstone)
	if err != nil {
		return fmt.Errorf("erase contact %d: %w", id, err)
	}
	return nil
}

// wipeUser keeps the account's row as a tombstone (ids elsewhere still
// name it; its sealed fields read erased), disabled, with no user name,
// password or second factor left, and removes everything attached to it.
func wipeUser(ctx context.Context, tx *store.Tx, id int64, c *Counts) error {
	for _, table := range []string{"sessions", "api_tokens", "recovery_codes", "login_failures", "user_roles",
		"user_classes", "case_views",
		"passkeys", "passkey_users", "passkey_challenges"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE user_id = ?`, id); err != nil {
			return fmt.Errorf("erase user %d: %s: %w", id, table, err)
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM case_users WHERE user_id = ?`, id)
	if err != nil {
		return fmt.Errorf("erase user %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	c.Links += int(n)
	// A deleted account gets its row back as a tombstone, for the same
	// reason as a contact's (wipeContact).
	now := store.FormatTime(time.Now())
	_, err = tx.ExecContext(ctx, `INSERT INTO users (id, username, username_key, display_name, email, status, restricted,
		password_hash, password_temporary, password_changed_at, created_at, updated_at, sealed)
		VALUES (?, ?, ?, '', '', 'disabled', 0, '', 0, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET username = excluded.username, username_key = excluded.username_key, display_name = '',
		email = '', sealed = excluded.sealed, status = 'disabled', password_hash = '', password_temporary = 0, totp_secret = ?,
		totp_enabled = 0, version = users.version + 1`,
		id, tombstone(id), tombstone(id), now, now, now, personal.Tombstone, []byte{0})
	if err != nil {
		return fmt.Errorf("erase user %d: %w", id, err)
	}
	return nil
}

// mentionMin is the shortest value looked for in free text: shorter ones
// (initials) would rewrite unrelated words.
const mentionMin = 3

// freeText lists the free-text columns that may name a person, by the
// columns that key their rows: document metadata, notes, events, financial
// descriptions, case titles and clients, dashboards' names and descriptions,
// groups' descriptions, widgets' titles, and the search entries of all of them (whose text they
// repeat).
var freeText = []struct {
	table string
	key   []string
	cols  []string
}{
	{"documents", []string{"id"}, []string{"title", "description"}},
	{"document_versions", []string{"id"}, []string{"filename"}},
	{"notes", []string{"id"}, []string{"title", "body"}},
	{"case_events", []string{"id"}, []string{"title"}},
	{"financial_records", []string{"id"}, []string{"description"}},
	{"cases", []string{"id"}, []string{"title", "client"}},
	{"dashboards", []string{"id"}, []string{"name", "description"}},
	{"dashboard_widgets", []string{"id"}, []string{"title"}},
	{"user_groups", []string{"id"}, []string{"description"}}, // a group's name is its unique key: it stays
	{"search_index", []string{"record_type", "record_id"}, []string{"title", "body"}},
}

// rewriteMentions replaces every occurrence of the values, as whole words
// and whatever their case, by personal.Erased in the free-text columns.
func rewriteMentions(ctx context.Context, tx *store.Tx, values []string, c *Counts) error {
	pats, likes := mentionPatterns(values)
	if len(pats) == 0 {
		return nil
	}
	for _, ft := range freeText {
		for _, col := range ft.cols {
			n, err := rewriteColumn(ctx, tx, ft.table, ft.key, col, pats, likes)
			if err != nil {
				return fmt.Errorf("rewrite mentions in %s.%s: %w", ft.table, col, err)
			}
			if ft.table == "search_index" {
				c.IndexRows += n
			} else {
				c.Mentions += n
			}
		}
	}
	return nil
}

// mentionPatterns returns, for the values long enough to look for, a
// pattern matching each as a whole word whatever its case, and the value.
func mentionPatterns(values []string) (pats []*regexp.Regexp, likes []string) {
	for _, v := range values {
		v = strings.TrimSpace(v)
		if utf8.RuneCountInString(v) < mentionMin || v == personal.Erased {
			continue
		}
		pats = append(pats, regexp.MustCompile(`(?i)(^|[^\p{L}\p{N}])`+regexp.QuoteMeta(v)+`($|[^\p{L}\p{N}])`))
		likes = append(likes, v)
	}
	return pats, likes
}

// eraseTextMentions destroys the key of every text subject whose audit
// events name one of the values as typed — a document's title or file
// name, a note, a case's client, a search — in any event, however long
// ago and whatever the record holds now: those events read back erased.
// Their leaves are the sealed bytes, so the trail still verifies.
func eraseTextMentions(ctx context.Context, tx *store.Tx, h *tenancy.Handle, values []string, c *Counts) error {
	pats, _ := mentionPatterns(values)
	if len(pats) == 0 {
		return nil
	}
	subjects, err := h.Audit.TextMentioning(ctx, tx, func(text string) bool {
		for _, p := range pats {
			if p.MatchString(text) {
				return true
			}
		}
		return false
	})
	if err != nil {
		return err
	}
	for _, s := range subjects {
		if err := h.Audit.EraseSubject(ctx, tx, s); err != nil {
			return err
		}
	}
	c.AuditTexts += len(subjects)
	return nil
}

// rewriteColumn finds candidate rows with LIKE (lower-cased, and as
// written: SQLite lower-cases ASCII only) and rewrites them in Go.
func rewriteColumn(ctx context.Context, tx *store.Tx, table string, key []string, col string, pats []*regexp.Regexp, likes []string) (int, error) {
	var conds []string
	var args []any
	for _, v := range likes {
		conds = append(conds, `lower(`+col+`) LIKE ? ESCAPE '\' OR `+col+` LIKE ? ESCAPE '\'`)
		args = append(args, "%"+escapeLike(strings.ToLower(v))+"%", "%"+escapeLike(v)+"%")
	}
	type hit struct {
		key  []any
		text string
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+strings.Join(key, ", ")+`, `+col+` FROM `+table+` WHERE `+strings.Join(conds, " OR "), args...)
	if err != nil {
		return 0, err
	}
	var hits []hit
	for rows.Next() {
		h := hit{key: make([]any, len(key))}
		dest := make([]any, 0, len(key)+1)
		for i := range h.key {
			if key[i] == "record_type" {
				h.key[i] = new(string)
			} else {
				h.key[i] = new(int64)
			}
			dest = append(dest, h.key[i])
		}
		if err := rows.Scan(append(dest, &h.text)...); err != nil {
			rows.Close()
			return 0, err
		}
		hits = append(hits, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	where := strings.Join(key, " = ? AND ") + " = ?"
	n := 0
	for _, h := range hits {
		text := h.text
		for _, p := range pats {
			text = p.ReplaceAllString(text, "${1}"+personal.Erased+"${2}")
		}
		if text == h.text {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET `+col+` = ? WHERE `+where, append([]any{text}, deref(h.key)...)...); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

func deref(ps []any) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		switch v := p.(type) {
		case *string:
			out[i] = *v
		case *int64:
			out[i] = *v
		}
	}
	return out
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
