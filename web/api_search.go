package web

import (
	"cmp"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"strongroom"
	"strongroom/cases"
	"strongroom/identity"
	"strongroom/search"
	"strongroom/tenancy"
)

// searchRoutes registers full-text search: the JSON API and the page.
func (h *Handler) searchRoutes() {
	h.mux.Handle("GET /api/v1/t/{slug}/search", h.page(h.authed(h.apiSearch, false)))
	h.mux.Handle("GET /t/{slug}/search", h.page(h.pageAuthed(h.searchPage, false)))
}

// searchQuery reads a search from URL parameters: q, type (repeated or
// comma-separated), status, practice_group, opened_from, opened_to, class,
// sort (relevance or date), cursor and limit. Malformed numbers are errors
// naming their parameter.
func searchQuery(v url.Values) (search.Query, error) {
	q := search.Query{Q: v.Get("q"), Status: v.Get("status"), PracticeGroup: v.Get("practice_group"),
		OpenedFrom: v.Get("opened_from"), OpenedTo: v.Get("opened_to"), Sort: v.Get("sort"), Cursor: v.Get("cursor")}
	for _, t := range v["type"] {
		for _, part := range strings.Split(t, ",") {
			if part = strings.TrimSpace(part); part != "" {
				q.Types = append(q.Types, cases.RecordType(part))
			}
		}
	}
	for _, f := range []struct {
		name string
		dst  func(int64)
	}{
		{"class", func(n int64) { q.ClassID = n }},
		{"limit", func(n int64) { q.Limit = int(n) }},
	} {
		s := strings.TrimSpace(v.Get(f.name))
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil || n <= 0 {
			return q, strongroom.FieldError(f.name, "Expected a positive whole number.")
		}
		f.dst(n)
	}
	return q, nil
}

// hitJSON is a hit as the API shows it. Title and snippet are plain text
// (the record's own, to be escaped by whoever shows them); the highlights
// are where the searched words stand in them, as [start, end) pairs
// counted in Unicode code points.
type hitJSON struct {
	Type              string       `json:"type"`
	ID                int64        `json:"id"`
	Title             string       `json:"title"`
	TitleHighlights   [][2]int     `json:"title_highlights"`
	Snippet           string       `json:"snippet"`
	SnippetHighlights [][2]int     `json:"snippet_highlights"`
	Rank              float64      `json:"rank"`
	Case              *caseRefJSON `json:"case"` // null when the user may not see the case
}

type caseRefJSON struct {
	ID       int64  `json:"id"`
	Number   string `json:"number"`
	Title    string `json:"title"`
	OpenedOn string `json:"opened_on,omitempty"`
}

// highlightsJSON turns byte spans of text into code point offsets.
func highlightsJSON(text string, spans []search.Span) [][2]int {
	out := [][2]int{}
	for _, s := range spans {
		if s.Start < 0 || s.End > len(text) || s.Start >= s.End {
			continue
		}
		start := utf8.RuneCountInString(text[:s.Start])
		out = append(out, [2]int{start, start + utf8.RuneCountInString(text[s.Start:s.End])})
	}
	return out
}

type countJSON struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

func countsJSON(cs []search.Count) []countJSON {
	out := make([]countJSON, len(cs))
	for i, c := range cs {
		out[i] = countJSON{Value: c.Value, Count: c.Count}
	}
	return out
}

func (h *Handler) apiSearch(w http.ResponseWriter, r *http.Request, t *tenancy.Handle, p *identity.Principal) error {
	q, err := searchQuery(r.URL.Query())
	if err != nil {
		return err
	}
	res, err := h.svc.Search.Search(r.Context(), t, p, q)
	if err != nil {
		return err
	}
	hits := make([]hitJSON, len(res.Hits))
	for i, hit := range res.Hits {
		hits[i] = hitJSON{Type: string(hit.Type), ID: hit.ID, Title: hit.Title, TitleHighlights: highlightsJSON(hit.Title, hit.TitleMarks),
			Snippet: hit.Snippet, SnippetHighlights: highlightsJSON(hit.Snippet, hit.SnippetMarks), Rank: hit.Rank}
		if c := hit.Case; c != nil {
			hits[i].Case = &caseRefJSON{ID: c.ID, Number: c.Number, Title: c.Title, OpenedOn: c.OpenedOn}
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"hits": hits, "sort": cmp.Or(q.Sort, search.SortRelevance), "total": res.Total, "more": res.More, "ranked_in_windows": res.Windowed, "next_cursor": res.Next,
		"facets": map[string]any{"types": countsJSON(res.Facets.Types), "statuses": countsJSON(res.Facets.Statuses),
			"practice_groups": countsJSON(res.Facets.PracticeGroups)},
	})
}
