package documents

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"strongroom"
	"strongroom/access"
	"strongroom/cases"
	"strongroom/identity"
)

// cleanInput trims and checks a document's title and description, and
// runs more (a check of its classes) when given, reporting every problem
// at once.
func cleanInput(title, description *string, more func() error) error {
	var ps strongroom.Problems
	t, err := cleanTitle(*title)
	ps.Add(err)
	d, err := cleanDescription(*description)
	ps.Add(err)
	if more != nil {
		ps.Add(more())
	}
	if err := ps.Err(); err != nil {
		return err
	}
	*title, *description = t, d
	return nil
}

// cleanTitle trims and checks a title.
func cleanTitle(title string) (string, error) {
	title = strings.TrimSpace(title)
	switch {
	case title == "":
		return "", strongroom.FieldError("title", "Give the document a title.")
	case utf8.RuneCountInString(title) > maxTitle:
		return "", strongroom.FieldError("title", "A title is at most %d characters long.", maxTitle)
	case !printable(title, false):
		return "", strongroom.FieldError("title", "A title cannot hold control characters.")
	}
	return title, nil
}

// cleanDescription trims and checks a description; line breaks are kept.
func cleanDescription(d string) (string, error) {
	d = strings.TrimSpace(strings.ReplaceAll(d, "\r\n", "\n"))
	switch {
	case utf8.RuneCountInString(d) > maxDescription:
		return "", strongroom.FieldError("description", "A description is at most %d characters long.", maxDescription)
	case !printable(d, true):
		return "", strongroom.FieldError("description", "A description cannot hold control characters.")
	}
	return d, nil
}

// printable reports whether s is valid UTF-8 without control characters
// (line breaks and tabs allowed when multiline).
func printable(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			return false
		}
	}
	return true
}

// effectiveClasses returns the classes a document of caseID with the given
// own classes would carry, refusing classes that do not exist and a set
// that would hide the document from the caller who classifies it.
func effectiveClasses(ctx context.Context, q cases.Querier, p *identity.Principal, caseID int64, own []int64) ([]int64, error) {
	classes := own
	if len(own) == 0 {
		var err error
		if classes, err = cases.Classes(ctx, q, cases.TypeCase, caseID); err != nil {
			return nil, err
		}
	}
	for _, c := range own {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM security_classes WHERE id = ?`, c).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, strongroom.FieldError("classes", "There is no security class %d.", c)
		}
	}
	return classes, seeable(p, classes)
}

// seeable refuses classes under which the caller could not see the
// document they are saving.
func seeable(p *identity.Principal, classes []int64) error {
	if !p.Subject.CanSee(access.Documents, access.Read, classes) {
		return strongroom.FieldError("classes", "With these security classes you could no longer see the document; include one of your own classes.")
	}
	return nil
}
