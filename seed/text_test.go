package seed

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"strongroom/store"
)

// sample generates n cases of the demo's kind into memory.
func sample(seed uint64, n int) map[string][][]any {
	w := newWriter(store.SQLite)
	gen := newGenerator(newProseGen(seed), w, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	for i := range n {
		spec := caseSpec{}
		if i < 5 {
			spec = caseSpec{mdlID: 1, mdlName: MDLDefendant, group: "Litigation"}
		}
		gen.addCase(spec)
	}
	return w.rows
}

// The same seed gives the same data, row for row; another seed other data.
func TestGeneratedDataIsDeterministic(t *testing.T) {
	a, b := sample(2741, 200), sample(2741, 200)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same seed made different data")
	}
	if reflect.DeepEqual(a["cases"], sample(2742, 200)["cases"]) {
		t.Fatal("another seed made the same cases")
	}
}

// Generated text reads like a firm's files: the made-up words of the long
// tail are written as names, never as lower-case words in a sentence.
func TestGeneratedTextReadsAsProse(t *testing.T) {
	rows := sample(2741, 300)
	texts := map[string][]string{}
	for table, cols := range map[string][]int{"cases": {2, 3}, "notes": {3}, "documents": {2, 3}, "financial_records": {6}, "contacts": {2}} {
		for _, r := range rows[table] {
			for _, c := range cols {
				texts[table] = append(texts[table], r[c].(string))
			}
		}
	}
	for _, r := range rows["search_index"] {
		texts["search_index"] = append(texts["search_index"], r[5].(string))
	}
	for table, ts := range texts {
		for _, text := range ts {
			for _, word := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }) {
				w := strings.TrimSuffix(word, "'s")
				if kindOf(strings.ToLower(w)) == nameWord && unicode.IsLower([]rune(w)[0]) && !known[w] {
					t.Errorf("%s: a made-up word %q set as a word, not a name: %q", table, w, text)
					break
				}
			}
		}
	}
	titles := ""
	for _, r := range rows["cases"] {
		titles += r[2].(string) + "\n"
	}
	for _, want := range []string{" v. ", "Estate of ", " — probate"} {
		if !strings.Contains(titles, want) {
			t.Errorf("no case title has %q:\n%.2000s", want, titles)
		}
	}
}

// known are the lower-case words of the sentences and titles themselves.
var known = map[string]bool{}

func init() {
	for _, list := range [][]string{clauseFrames, bothFrames, peopleFrames, shortSentences, nameFrames, namedThings, expenseItems, contactRoles, practiceGroups, tagWords,
		noteTopics, documentKinds, streets, lawFirmForms} {
		for _, s := range list {
			for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) {
				known[w] = true
			}
		}
	}
	for _, ts := range eventTitles {
		for _, s := range ts {
			for _, w := range strings.Fields(s) {
				known[strings.ToLower(w)] = true
			}
		}
	}
	for _, n := range termNouns {
		for _, w := range strings.Fields(n) {
			known[w] = true
		}
	}
}
