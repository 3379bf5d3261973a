package cases

import (
	"slices"
	"strings"
	"testing"
)

// FuzzReadCSV feeds arbitrary files to the import reader: it must never
// panic, and every error must name a line of the file and a field of the
// header (or the file, header or row).
func FuzzReadCSV(f *testing.F) {
	head := strings.Join(FinancialImportHeader, ",") + "\n"
	for _, s := range []string{head, head + "A,fee,1,EUR,2026-01-01,x\n", head + "A,\"fee,1\n", head + "a\"b,c\n", "x,y\n", ""} {
		f.Add(s)
	}
	allowed := append(slices.Clone(FinancialImportHeader), "file", "header", "row")
	f.Fuzz(func(t *testing.T, s string) {
		var report ImportReport
		rows := readCSV(strings.NewReader(s), FinancialImportHeader, &report)
		lines := strings.Count(s, "\n") + 1
		for _, e := range report.Errors {
			if e.Line < 1 || e.Line > lines || !slices.Contains(allowed, e.Field) {
				t.Fatalf("error %+v for a file of %d lines", e, lines)
			}
		}
		for _, r := range rows {
			if len(r.fields) != len(FinancialImportHeader) || r.line < 2 {
				t.Fatalf("row %+v", r)
			}
		}
	})
}
