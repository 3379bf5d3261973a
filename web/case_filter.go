package web

import (
	"net/url"
	"strings"

	"strongroom/cases"
)

// caseListParams are the query parameters of the case list, on the page,
// the API and the exports alike, in the order links carry them.
var caseListParams = []string{"q", "status", "practice_group", "responsible", "mine", "mdl_id", "tag", "sort", "dir", "page", "cursor", "limit"}

// caseFilterOf reads the case list's parameters. Bad input is an EINVALID
// error naming the parameter.
func caseFilterOf(q url.Values) (cases.CaseFilter, error) {
	f := cases.CaseFilter{Contains: q.Get("q"), Status: q.Get("status"), PracticeGroup: q.Get("practice_group"),
		Tag: q.Get("tag"), Sort: strings.ToLower(strings.TrimSpace(q.Get("sort"))), Dir: q.Get("dir"),
		ListOptions: cases.ListOptions{Cursor: q.Get("cursor")}}
	var err error
	if f.MDLID, err = queryInt(q.Get("mdl_id"), "mdl_id"); err != nil {
		return f, err
	}
	if f.Responsible, err = queryInt(q.Get("responsible"), "responsible"); err != nil {
		return f, err
	}
	if f.Mine, err = queryBool(q.Get("mine"), "mine"); err != nil {
		return f, err
	}
	page, err := queryInt(q.Get("page"), "page")
	if err != nil {
		return f, err
	}
	f.Page = int(min(max(page, -1), 1<<30))
	limit, err := queryInt(q.Get("limit"), "limit")
	if err != nil {
		return f, err
	}
	f.Limit = int(min(max(limit, -1), 1<<30))
	return f, nil
}

// caseListQuery keeps the list parameters of q that are set, for links
// that change one of them.
func caseListQuery(q url.Values) url.Values {
	out := url.Values{}
	for _, k := range caseListParams {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

// withParams returns q with key set to value ("" removes it), and without page
// and cursor unless they are the key: a changed list starts at its first page.
func withParams(q url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range q {
		if k != "page" && k != "cursor" {
			out[k] = v
		}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			out.Del(kv[i])
		} else {
			out.Set(kv[i], kv[i+1])
		}
	}
	return out
}

// pathQuery is a path with its query.
func pathQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
