package strongroom_test

import (
	"errors"
	"testing"

	"strongroom"
)

func TestProblemsCollectsEveryProblem(t *testing.T) {
	var ps strongroom.Problems
	ps.Add(nil)
	ps.Add(strongroom.FieldError("title", "This field is required."))
	ps.Addf("status", "The status must be one of: %s.", "open")
	ps.Add(&strongroom.Error{Code: strongroom.EINVALID, Field: "a", Message: "A.",
		Problems: []strongroom.Problem{{Field: "a", Message: "A."}, {Field: "b", Message: "B."}}})
	err := ps.Err()
	if strongroom.ErrorCode(err) != strongroom.EINVALID || strongroom.ErrorField(err) != "title" ||
		strongroom.ErrorMessage(err) != "This field is required." {
		t.Fatalf("first problem: %v", err)
	}
	got := strongroom.ErrorProblems(err)
	want := []string{"title", "status", "a", "b"}
	if len(got) != len(want) {
		t.Fatalf("problems %v, want fields %v", got, want)
	}
	for i, f := range want {
		if got[i].Field != f {
			t.Errorf("problem %d is of %q, want %q", i, got[i].Field, f)
		}
	}
	if !ps.Has("status") || ps.Has("client") {
		t.Error("Has")
	}
}

func TestProblemsFaultWins(t *testing.T) {
	var ps strongroom.Problems
	if ps.Err() != nil || !ps.OK() {
		t.Fatal("empty Problems is not OK")
	}
	ps.Add(strongroom.FieldError("title", "Required."))
	fault := errors.New("database is down")
	ps.Add(fault)
	if err := ps.Err(); !errors.Is(err, fault) {
		t.Fatalf("Err() = %v, want the fault", err)
	}
}

func TestErrorProblemsOfOneFieldError(t *testing.T) {
	got := strongroom.ErrorProblems(strongroom.FieldError("x", "Bad."))
	if len(got) != 1 || got[0] != (strongroom.Problem{Field: "x", Message: "Bad."}) {
		t.Fatalf("got %v", got)
	}
	if strongroom.ErrorProblems(strongroom.Errorf(strongroom.ECONFLICT, "Stale.")) != nil {
		t.Fatal("a conflict has no problems")
	}
}
