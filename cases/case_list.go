package cases

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"strongroom"
	"strongroom/access"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// Sort orders of the case list: each a column, ascending or descending.
const (
	SortNumber  = "number"
	SortTitle   = "title"
	SortClient  = "client"
	SortStatus  = "status"
	SortOpened  = "opened"
	SortUpdated = "updated"
)

// SortOrders lists the orders of the case list, in the order of its columns.
func SortOrders() []string {
	return []string{SortNumber, SortTitle, SortClient, SortStatus, SortOpened, SortUpdated}
}

// sortKeys are the SQL each order sorts by. Titles and clients sort
// without regard to case; numbers, statuses and stored dates are already
// of one case.
var sortKeys = map[string]string{
	SortNumber: "c.number", SortTitle: "LOWER(c.title)", SortClient: "LOWER(c.client)",
	SortStatus: "c.status", SortOpened: "c.opened_on", SortUpdated: "c.updated_at",
}

// DefaultDesc reports whether an order runs newest first unless told
// otherwise: dates do, text does not.
func DefaultDesc(sort string) bool { return sort == SortOpened || sort == SortUpdated }

// Sort directions.
const (
	Asc  = "asc"
	Desc = "desc"
)

// CaseFilter narrows and orders the case list. Empty fields filter nothing.
type CaseFilter struct {
	// Status and PracticeGroup match whole values, not case sensitive.
	Status        string
	PracticeGroup string
	MDLID         int64
	Tag           string
	// Contains matches anywhere in the number, the title or the client,
	// not case sensitive for ASCII letters; full-text search is package
	// search's.
	Contains string
	// Prefix matches the start of the number or the title (not case
	// sensitive for ASCII letters).
	Prefix string
	// Responsible keeps the cases that user is responsible for; Mine the
	// cases the caller is.
	Responsible int64
	Mine        bool
	Sort        string // one of SortOrders; SortNumber when empty
	Dir         string // Asc or Desc; empty: DefaultDesc of the order
	// Page is the 1-based page to list, counted in pages of Limit; 0 pages
	// with Cursor instead. Page and Cursor do not go together.
	Page int
	ListOptions
}

// maxPage bounds a page number so that an offset cannot overflow.
const maxPage = 1_000_000

func (f *CaseFilter) check(p *identity.Principal) error {
	if f.Sort == "" {
		f.Sort = SortNumber
	}
	if _, ok := sortKeys[f.Sort]; !ok {
		return strongroom.FieldError("sort", "Sort by one of: %s.", strings.Join(SortOrders(), ", "))
	}
	switch f.Dir = strings.ToLower(strings.TrimSpace(f.Dir)); f.Dir {
	case "":
		f.Dir = Asc
		if DefaultDesc(f.Sort) {
			f.Dir = Desc
		}
	case Asc, Desc:
	default:
		return strongroom.FieldError("dir", "Give the direction as %q or %q.", Asc, Desc)
	}
	f.Status = strings.ToLower(strings.TrimSpace(f.Status))
	if f.Status != "" && !slices.Contains(Statuses(), f.Status) {
		return strongroom.FieldError("status", "The status must be one of: %s.", strings.Join(Statuses(), ", "))
	}
	if f.MDLID < 0 {
		return strongroom.FieldError("mdl_id", "Choose a multi-district litigation group from the list.")
	}
	if f.Responsible < 0 {
		return strongroom.FieldError("responsible", "Choose a responsible user from the list.")
	}
	if p.Subject.Restricted && f.Responsible != 0 && f.Responsible != p.Subject.UserID {
		// Outside firms are not shown who works a case.
		return strongroom.FieldError("responsible", "Only the firm's own staff filter by responsible user.")
	}
	if f.Page < 0 || f.Page > maxPage {
		return strongroom.FieldError("page", "Give a page number from 1 to %d.", maxPage)
	}
	if f.Page > 0 && f.Cursor != "" {
		return strongroom.FieldError("page", "Page by number or by cursor, not both.")
	}
	f.Tag = strings.ToLower(strings.TrimSpace(f.Tag))
	f.PracticeGroup = strings.TrimSpace(f.PracticeGroup)
	f.Contains = strings.TrimSpace(f.Contains)
	if len(f.Tag) > maxTag || len(f.Prefix) > 300 || len(f.Contains) > 300 || len(f.PracticeGroup) > 100 {
		return strongroom.FieldError("filter", "A filter value is too long.")
	}
	return nil
}

// desc reports whether the list runs in descending order.
func (f *CaseFilter) desc() bool { return f.Dir == Desc }

// likeEscape escapes LIKE wildcards so that user text matches literally
// (with ESCAPE '\').
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// caseWhere is the WHERE of the case list: live cases the user may see
// (the access predicate), then the filter's conditions.
func caseWhere(p *identity.Principal, f *CaseFilter) (string, []any) {
	pred := Predicate(p.Subject, TypeCase, access.Read, "c")
	where := []string{"c.deleted_at = ''", pred.SQL}
	args := slices.Clone(pred.Args)
	if s := p.Subject; s.Restricted && len(s.Classes) > 0 {
		// The same cases as the predicate allows, written so that the
		// database can start from them (record_classes by class) rather
		// than walk every case checking each: a restricted user's cases
		// are a thin slice of a large tenant. The predicate still decides.
		where = append(where, `c.id IN (SELECT n.record_id FROM record_classes n WHERE n.record_type = 'case'
			AND n.class_id IN (`+store.Placeholders(len(s.Classes))+`))`)
		for _, c := range s.Classes {
			args = append(args, c)
		}
	}
	add := func(cond string, vs ...any) { where, args = append(where, cond), append(args, vs...) }
	if f.Status != "" {
		add("c.status = ?", f.Status)
	}
	if f.PracticeGroup != "" {
		// The exact value (from the list of choices) or the same in
		// other case.
		add("(c.practice_group = ? OR LOWER(c.practice_group) = ?)", f.PracticeGroup, strings.ToLower(f.PracticeGroup))
	}
	if f.MDLID != 0 {
		add("c.mdl_id = ?", f.MDLID)
	}
	if f.Tag != "" {
		add(`(',' || c.tags || ',') LIKE ? ESCAPE '\'`, "%,"+likeEscape(f.Tag)+",%")
	}
	if f.Prefix != "" {
		pre := strings.ToLower(likeEscape(f.Prefix)) + "%"
		add(`(LOWER(c.number) LIKE ? ESCAPE '\' OR LOWER(c.title) LIKE ? ESCAPE '\')`, pre, pre)
	}
	if f.Contains != "" {
		in := "%" + strings.ToLower(likeEscape(f.Contains)) + "%"
		add(`(LOWER(c.number) LIKE ? ESCAPE '\' OR LOWER(c.title) LIKE ? ESCAPE '\' OR LOWER(c.client) LIKE ? ESCAPE '\')`, in, in, in)
	}
	user := f.Responsible
	if f.Mine {
		user = p.Subject.UserID
	}
	if user != 0 {
		add("c.id IN (SELECT u.case_id FROM case_users u WHERE u.user_id = ?)", user)
	}
	return strings.Join(where, " AND "), args
}

// MaxCount is where the case list stops counting: a larger list says
// "more than 10,000 cases", as search says "more than 1,000". Counting
// walks every matching case through the access predicate; the cap bounds
// that walk (on SQLite about 2.5 µs a case) for the largest tenants. A
// variable so that tests can lower it.
var MaxCount = 10_000

// CasePage is one page of the case list.
type CasePage struct {
	Cases []*Case
	// Next is the cursor of the next page ("" on the last).
	Next string
	// Total counts the cases the filter matches that the user may see, up
	// to MaxCount; Capped says there are more.
	Total  int
	Capped bool
	// Page is the page's number when paged by number (else 0); Size is
	// the page size.
	Page, Size int
	// Sort and Dir are the order listed in, defaults filled in.
	Sort, Dir string
	// More says that a page follows this one.
	More bool
}

// Pages is how many pages the list has (at least one); when Capped, how
// many the first MaxCount cases fill.
func (p *CasePage) Pages() int { return max(1, (p.Total+p.Size-1)/p.Size) }

// ListCases lists the live cases the user may see, filtered and sorted,
// one page at a time. It returns the page and the cursor of the next page
// ("" on the last).
func (s *Service) ListCases(ctx context.Context, t *tenancy.Handle, p *identity.Principal, f CaseFilter) ([]*Case, string, error) {
	page, err := s.listCases(ctx, t, p, f, false)
	if err != nil {
		return nil, "", err
	}
	return page.Cases, page.Next, nil
}

// ListCasePage is ListCases with the total the filter matches, counted in
// the same statement as the page, through the same predicate.
func (s *Service) ListCasePage(ctx context.Context, t *tenancy.Handle, p *identity.Principal, f CaseFilter) (*CasePage, error) {
	return s.listCases(ctx, t, p, f, true)
}

func (s *Service) listCases(ctx context.Context, t *tenancy.Handle, p *identity.Principal, f CaseFilter, count bool) (*CasePage, error) {
	if err := p.Subject.Require(access.Cases, access.Read); err != nil {
		return nil, err
	}
	if err := f.check(p); err != nil {
		return nil, err
	}
	limit, err := f.limit()
	if err != nil {
		return nil, err
	}
	sortName := "case:" + f.Sort
	if f.desc() != DefaultDesc(f.Sort) {
		sortName += ":" + f.Dir
	}
	c, err := decodeCursor(f.Cursor, sortName)
	if err != nil {
		return nil, err
	}
	where, whereArgs := caseWhere(p, &f)
	key := sortKeys[f.Sort]
	cond, condArgs, order := keyset(c, key, "c.id", f.desc())
	var args []any
	total := ""
	if count {
		// One statement: the database counts once (an uncorrelated
		// subquery) and still reads only the page's rows in order.
		total = ", (SELECT COUNT(*) FROM (SELECT 1 FROM cases c WHERE " + where + " LIMIT ?) n)"
		args = append(append(args, whereArgs...), MaxCount+1)
	}
	args = append(append(append(args, whereArgs...), condArgs...), limit+1)
	tail := ` LIMIT ?`
	if f.Page > 1 {
		tail += ` OFFSET ?`
		args = append(args, (f.Page-1)*limit)
	}
	rows, err := t.DB.QueryContext(ctx, `SELECT `+caseColumns+`, `+key+total+` FROM cases c WHERE `+where+cond+order+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	page := &CasePage{Page: f.Page, Size: limit, Sort: f.Sort, Dir: f.Dir}
	var keys []string
	for rows.Next() {
		cs, k, n, err := scanListed(rows, count)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list cases: %w", err)
		}
		page.Cases, keys, page.Total = append(page.Cases, cs), append(keys, k), n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if count && len(page.Cases) == 0 && (f.Page > 1 || c != nil) {
		// Past the end: no row carried the count.
		err := t.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM cases c WHERE `+where+` LIMIT ?) n`,
			append(slices.Clone(whereArgs), MaxCount+1)...).Scan(&page.Total)
		if err != nil {
			return nil, fmt.Errorf("count cases: %w", err)
		}
	}
	if page.Total > MaxCount {
		page.Total, page.Capped = MaxCount, true
	}
	page.More = len(page.Cases) > limit
	if len(page.Cases) > limit {
		page.Cases = page.Cases[:limit]
		page.Next = cursor{Sort: sortName, Key: keys[limit-1], ID: page.Cases[limit-1].ID}.encode()
	}
	return page, s.fillCases(ctx, t, p, page.Cases)
}

// scanListed reads a row of the list: the case, its sort key and, when
// counted, the total.
func scanListed(rows *store.Rows, count bool) (*Case, string, int, error) {
	var c Case
	var tags, created, updated, key string
	var total int
	dest := []any{&c.ID, &c.Number, &c.Title, &c.Client, &c.PracticeGroup, &c.Status, &c.OpenedOn, &c.ClosedOn,
		&c.MDLID, &tags, &c.Version, &created, &updated, &key}
	if count {
		dest = append(dest, &total)
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, "", 0, err
	}
	c.Tags, c.CreatedAt, c.UpdatedAt = splitTags(tags), parseStored(created), parseStored(updated)
	return &c, key, total, nil
}

// PracticeGroups lists the practice groups of the live cases the user may
// see, for the list's filter: a group only hidden cases have is not named.
// Groups that differ only in case are offered once.
func (s *Service) PracticeGroups(ctx context.Context, t *tenancy.Handle, p *identity.Principal) ([]string, error) {
	if err := p.Subject.Require(access.Cases, access.Read); err != nil {
		return nil, err
	}
	where, args := caseWhere(p, &CaseFilter{})
	rows, err := t.DB.QueryContext(ctx, `SELECT DISTINCT c.practice_group FROM cases c WHERE `+where+
		` AND c.practice_group <> '' ORDER BY c.practice_group`, args...)
	if err != nil {
		return nil, fmt.Errorf("practice groups: %w", err)
	}
	defer rows.Close()
	out := []string{}
	seen := map[string]bool{}
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, fmt.Errorf("practice groups: %w", err)
		}
		if k := strings.ToLower(g); !seen[k] {
			seen[k] = true
			out = append(out, g)
		}
	}
	return out, rows.Err()
}

// fillCases loads the classes and responsible users of listed cases, each
// in one query for the whole page. Restricted users are shown no staff (as
// on a case's own page, see shown), so theirs are not read.
func (s *Service) fillCases(ctx context.Context, t *tenancy.Handle, p *identity.Principal, cs []*Case) error {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	classes, err := classesOf(ctx, t.DB, TypeCase, ids)
	if err != nil {
		return err
	}
	users := map[int64][]int64{}
	if !p.Subject.Restricted {
		if users, err = responsibleOf(ctx, t.DB, ids); err != nil {
			return err
		}
	}
	for _, c := range cs {
		c.Classes = shownClasses(p.Subject, classes[c.ID])
		c.Responsible = append([]int64{}, users[c.ID]...)
	}
	return nil
}

// responsibleOf returns the responsible users of each of the cases ids (at
// most MaxPageSize of them), in one query.
func responsibleOf(ctx context.Context, q Querier, ids []int64) (map[int64][]int64, error) {
	out := make(map[int64][]int64, len(ids))
	in, args := store.IDList(ids)
	rows, err := q.QueryContext(ctx, `SELECT case_id, user_id FROM case_users WHERE case_id IN (`+
		in+`) ORDER BY case_id, user_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("responsible users of cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c, u int64
		if err := rows.Scan(&c, &u); err != nil {
			return nil, fmt.Errorf("responsible users of cases: %w", err)
		}
		out[c] = append(out[c], u)
	}
	return out, rows.Err()
}
