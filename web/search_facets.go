package web

import (
	"net/url"
	"slices"
	"strconv"

	"strongroom/cases"
	"strongroom/format"
	"strongroom/search"
	"strongroom/tenancy"
)

// facetGroups turns the facets into links that narrow the search to one
// value (and start again from the first page); the value already chosen
// links to the search without it. The counts are the search's own, so
// they count only what the user may see.
func facetGroups(v view, values url.Values, res *search.Result) []facetGroup {
	count := func(n int) string {
		if res.More {
			return strconv.Itoa(n) + "+"
		}
		return strconv.Itoa(n)
	}
	var out []facetGroup
	add := func(name, param string, cs []search.Count, label func(string) string) {
		if len(cs) == 0 {
			return
		}
		g := facetGroup{Name: name}
		for _, c := range cs {
			f := facetLink{Label: label(c.Value), Count: count(c.Count)}
			current := values.Get(param) == c.Value
			if param == "type" {
				current = slices.Equal(chosenTypes(values), []string{c.Value})
			}
			switch {
			case c.Value == "": // an empty value is no filter: nothing to link
			case current:
				f.Active = true
				f.URL = searchURL(v, values, func(u url.Values) { u.Del(param) })
			default:
				f.URL = searchURL(v, values, func(u url.Values) { u.Set(param, c.Value) })
			}
			g.Items = append(g.Items, f)
		}
		out = append(out, g)
	}
	add("Type", "type", res.Facets.Types, func(s string) string { return typeLabels[cases.RecordType(s)] })
	add("Case status", "status", res.Facets.Statuses, format.Words)
	add("Practice group", "practice_group", res.Facets.PracticeGroups, groupLabel)
	return out
}

// searchChips are the filters in force, each with the link that drops it
// (and keeps the rest).
func (h *Handler) searchChips(v view, t *tenancy.Handle, values url.Values, classes []option) []chip {
	var out []chip
	drop := func(label, param string) {
		out = append(out, chip{Label: label, URL: searchURL(v, values, func(u url.Values) { u.Del(param) })})
	}
	types := chosenTypes(values)
	for _, typ := range types {
		label := typeLabels[cases.RecordType(typ)]
		if label == "" {
			continue // refused by the search before any chip is shown
		}
		rest := slices.DeleteFunc(slices.Clone(types), func(s string) bool { return s == typ })
		out = append(out, chip{Label: "Type: " + label, URL: searchURL(v, values, func(u url.Values) { u["type"] = rest })})
	}
	if s := values.Get("status"); s != "" {
		drop("Case status: "+format.Words(s), "status")
	}
	if s := values.Get("practice_group"); s != "" {
		drop("Practice group: "+s, "practice_group")
	}
	f := h.formatter(t)
	day := func(s string) string {
		if d, err := f.Day(s); err == nil {
			return d
		}
		return s
	}
	if s := values.Get("opened_from"); s != "" {
		drop("Case opened on or after "+day(s), "opened_from")
	}
	if s := values.Get("opened_to"); s != "" {
		drop("Case opened on or before "+day(s), "opened_to")
	}
	if s := values.Get("class"); s != "" {
		for _, c := range classes {
			if c.Value == s {
				drop("Security class: "+c.Label, "class")
			}
		}
	}
	return out
}

// sortLinks are the orders the results may come in, as links.
func sortLinks(v view, values url.Values) []sortLink {
	current := values.Get("sort")
	if current == "" {
		current = search.SortRelevance
	}
	var out []sortLink
	for _, s := range []struct{ value, label string }{{search.SortRelevance, "Best match"}, {search.SortDate, "Newest case first"}} {
		out = append(out, sortLink{Label: s.label, Current: s.value == current,
			URL: searchURL(v, values, func(u url.Values) { u.Set("sort", s.value) })})
	}
	return out
}
