package cases

import (
	"context"
	"fmt"
	"strings"

	"strongroom"
	"strongroom/store"
)

// numberFree refuses a number another case (live or deleted: numbers are
// never reused) already has.
func numberFree(ctx context.Context, tx *store.Tx, number string, self int64) error {
	n, err := count(ctx, tx, `SELECT COUNT(*) FROM cases WHERE number = ? AND id <> ?`, number, self)
	if err != nil {
		return err
	}
	if n > 0 {
		return &strongroom.Error{Code: strongroom.ECONFLICT, Field: "number", Message: "This case number is already taken; choose another or leave it empty to have one generated."}
	}
	return nil
}

// nextNumber returns the next generated number of a year: the highest
// "YEAR-NNNNN" in use (deleted cases included) plus one.
func nextNumber(ctx context.Context, tx *store.Tx, year string) (string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT number FROM cases WHERE number LIKE ? ORDER BY LENGTH(number) DESC, number DESC`, year+"-%")
	if err != nil {
		return "", fmt.Errorf("next case number: %w", err)
	}
	defer rows.Close()
	var seq int64
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return "", err
		}
		if v, ok := generatedSeq(n, year); ok {
			seq = v
			break
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%05d", year, seq+1), nil
}

// generatedSeq reads the sequence of a number of the generated form.
func generatedSeq(number, year string) (int64, bool) {
	digits, ok := strings.CutPrefix(number, year+"-")
	if !ok || len(digits) < 5 || len(digits) > 12 {
		return 0, false
	}
	var v int64
	for _, r := range digits {
		if r < '0' || r > '9' {
			return 0, false
		}
		v = v*10 + int64(r-'0')
	}
	return v, true
}
