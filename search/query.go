package search

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"strongroom"
	"strongroom/cases"
)

// Limits on what a search may ask.
const (
	MaxQueryLength = 200 // characters of the search text
	// MaxCount is how many hits a search counts exactly; past it the
	// total says "more than MaxCount" (Result.More), which keeps broad
	// searches as quick as narrow ones.
	MaxCount       = 1000
	DefaultLimit   = 20
	MaxLimit       = 100
	maxTerms       = 32
	maxGroupLength = 100
)

// maxCount is MaxCount; tests lower it to reach its limits with few
// records.
var maxCount = MaxCount

// caseStatuses are the statuses a case may have (as in the cases table).
var caseStatuses = []string{"open", "pending", "closed", "archived"}

// Query is what a user searches for: text, filters and the page wanted.
type Query struct {
	// Q is the text. It is split into words (letters and digits); a hit
	// holds every word. Punctuation, quotes and operators are not syntax:
	// they only separate words.
	Q string
	// Types keeps only hits of these record types (none: every type).
	Types []cases.RecordType
	// Status, PracticeGroup and the opened-on range (YYYY-MM-DD, both
	// ends included) filter by the case a hit is in; a hit whose case the
	// user may not see never passes such a filter.
	Status        string
	PracticeGroup string
	OpenedFrom    string
	OpenedTo      string
	// ClassID keeps only hits carrying this security class, which must be
	// one the user holds.
	ClassID int64
	// Sort is SortRelevance (also when empty) or SortDate.
	Sort string
	// Cursor continues after the last hit of a previous page (Result.Next)
	// of the same search in the same order.
	Cursor string
	// Limit is the page size: DefaultLimit when 0, at most MaxLimit.
	Limit int
}

// terms splits the search text into the words it searches for. It returns
// an EINVALID error naming "q" for text that is empty, too long, or holds
// no word at all. Nothing of the text reaches SQL except these words, each
// made only of letters and digits.
func terms(q string) ([]string, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, strongroom.FieldError("q", "Enter words to search for.")
	}
	if utf8.RuneCountInString(q) > MaxQueryLength {
		return nil, strongroom.FieldError("q", "A search may be at most %d characters long.", MaxQueryLength)
	}
	q = strings.ToValidUTF8(q, " ")
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var out []string
	for _, w := range words {
		w = strings.ToLower(w)
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return nil, strongroom.FieldError("q", "Search for words or numbers: punctuation alone finds nothing.")
	}
	if len(out) > maxTerms {
		return nil, strongroom.FieldError("q", "A search may hold at most %d different words.", maxTerms)
	}
	return out, nil
}

// ftsQuery is the FTS5 query of the words: each one a quoted string (its
// quotes doubled, though words hold none), all of them required.
func ftsQuery(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	}
	return strings.Join(quoted, " ")
}

// validate checks the filters and the page size.
func (q *Query) validate() error {
	for _, t := range q.Types {
		if !t.Valid() {
			return strongroom.FieldError("type", "Unknown record type; use case, document, financial, contact, note or event.")
		}
	}
	if q.Status != "" && !slices.Contains(caseStatuses, q.Status) {
		return strongroom.FieldError("status", "The status must be one of: %s.", strings.Join(caseStatuses, ", "))
	}
	if utf8.RuneCountInString(q.PracticeGroup) > maxGroupLength {
		return strongroom.FieldError("practice_group", "A practice group is at most %d characters long.", maxGroupLength)
	}
	for _, d := range []struct{ field, value string }{{"opened_from", q.OpenedFrom}, {"opened_to", q.OpenedTo}} {
		if d.value == "" {
			continue
		}
		if !isDay(d.value) {
			return strongroom.FieldError(d.field, "Enter a date as YYYY-MM-DD.")
		}
	}
	if q.OpenedFrom != "" && q.OpenedTo != "" && q.OpenedFrom > q.OpenedTo {
		return strongroom.FieldError("opened_to", "The end of the date range is before its start.")
	}
	switch q.Sort {
	case "":
		q.Sort = SortRelevance
	case SortRelevance, SortDate:
	default:
		return strongroom.FieldError("sort", "Sort by relevance or by date.")
	}
	if q.ClassID < 0 {
		return strongroom.FieldError("class", "Choose one of your security classes.")
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 1 || q.Limit > MaxLimit {
		return strongroom.FieldError("limit", "Ask for 1 to %d results at a time.", MaxLimit)
	}
	return nil
}

// cursor is where a page ends: the last hit's rank and its place in the
// order ranks tie in (the index row on SQLite; type and id on PostgreSQL),
// and on SQLite the window of hits it is in (before: the bound of its
// index rows, 0 for the first window).
type cursor struct {
	rank   float64
	row    int64
	typ    string
	id     int64
	before int64
	valid  bool
}

func (c cursor) encode() string {
	s := strings.Join([]string{"2", strconv.FormatFloat(c.rank, 'g', -1, 64), strconv.FormatInt(c.row, 10), c.typ,
		strconv.FormatInt(c.id, 10), strconv.FormatInt(c.before, 10)}, "|")
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	bad := strongroom.FieldError("cursor", "This link to more results is no longer valid; search again.")
	if len(s) > 200 {
		return cursor{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, bad
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 6 || parts[0] != "2" {
		return cursor{}, bad
	}
	var c cursor
	var e1, e2, e3, e4 error
	c.rank, e1 = strconv.ParseFloat(parts[1], 64)
	c.row, e2 = strconv.ParseInt(parts[2], 10, 64)
	c.typ = parts[3]
	c.id, e3 = strconv.ParseInt(parts[4], 10, 64)
	c.before, e4 = strconv.ParseInt(parts[5], 10, 64)
	if e1 != nil || e2 != nil || e3 != nil || e4 != nil || c.before < 0 || math.IsNaN(c.rank) || math.IsInf(c.rank, 0) || !cases.RecordType(c.typ).Valid() {
		return cursor{}, bad
	}
	c.valid = true
	return c, nil
}

// isDay reports whether s is a calendar date written YYYY-MM-DD.
func isDay(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil && len(s) == 10
}
