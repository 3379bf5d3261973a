package cases

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"strongroom"
	"strongroom/audit"
	"strongroom/identity"
	"strongroom/store"
	"strongroom/tenancy"
)

// MaxExportRows bounds a case list export; a larger list is refused with
// the advice to narrow it, rather than cut short without a word.
const MaxExportRows = 100_000

// CaseExport is the case list as CSV rows, ready to be sent.
type CaseExport struct {
	Header []string
	Rows   [][]string
}

// ExportCases lists every case the filter matches that the user may see, in
// the filter's order, as CSV rows, and records the export in the audit trail
// (who, which filter, how many rows); only once that is committed does it
// return the rows for the caller to send. names maps user ids to display
// names for the responsible column (restricted users are shown none).
func (s *Service) ExportCases(ctx context.Context, t *tenancy.Handle, p *identity.Principal, f CaseFilter, names map[int64]string) (*CaseExport, error) {
	f.Page, f.Cursor, f.Limit = 0, "", MaxPageSize
	out := &CaseExport{Header: []string{"number", "title", "client", "practice_group", "status", "opened_on", "closed_on", "updated_at", "tags", "responsible"}}
	for {
		page, err := s.listCases(ctx, t, p, f, false)
		if err != nil {
			return nil, err
		}
		for _, c := range page.Cases {
			out.Rows = append(out.Rows, exportRow(c, names))
		}
		if len(out.Rows) > MaxExportRows {
			return nil, strongroom.Errorf(strongroom.EINVALID, "More than %d cases match; narrow the list with a filter and export again.", MaxExportRows)
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	details := map[string]string{"format": "csv", "rows": strconv.Itoa(len(out.Rows)), "sort": f.Sort, "dir": f.Dir}
	for k, v := range map[string]string{"status": f.Status, "practice_group": f.PracticeGroup, "tag": f.Tag} {
		if v != "" {
			details[k] = v
		}
	}
	if f.MDLID != 0 {
		details["mdl_id"] = strconv.FormatInt(f.MDLID, 10)
	}
	if f.Responsible != 0 {
		details["responsible"] = strconv.FormatInt(f.Responsible, 10)
	}
	if f.Mine {
		details["mine"] = "true"
	}
	err := t.DB.InTx(ctx, func(tx *store.Tx) error {
		e := audit.Event{Actor: p.AuditActor(), SourceIP: p.IP, Action: "case.export", ObjectType: "case_list", Details: details}
		if f.Contains != "" { // typed: sealed like a search
			e.Personal, e.SubjectID = map[string]string{"q": f.Contains}, audit.QueriesSubject(p.User.ID, time.Now())
		}
		_, err := t.Audit.Append(ctx, tx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func exportRow(c *Case, names map[int64]string) []string {
	var people []string
	for _, id := range c.Responsible {
		if n, ok := names[id]; ok {
			people = append(people, n)
		}
	}
	return []string{Cell(c.Number), Cell(c.Title), Cell(c.Client), Cell(c.PracticeGroup), c.Status, c.OpenedOn, c.ClosedOn,
		store.FormatTime(c.UpdatedAt), Cell(strings.Join(c.Tags, ", ")), Cell(strings.Join(people, ", "))}
}

// Cell guards a text value against spreadsheet formulas: a cell starting
// with = + - @ (or a tab or carriage return) is prefixed with a quote, so
// that a spreadsheet shows it as text instead of running it.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV writes the export as CSV, its header line first.
func (e *CaseExport) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(e.Header); err != nil {
		return err
	}
	if err := cw.WriteAll(e.Rows); err != nil {
		return err
	}
	return cw.Error()
}
