package seed

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
)

// syllables make the long tail of the vocabulary: words that are rare on
// their own (like the names of products, places and parties that make a
// real search specific).
var syllables = []string{
	"ka", "ro", "mi", "ten", "sa", "vel", "do", "ri", "an", "tor",
	"lu", "be", "ne", "shi", "gar", "po", "li", "mon", "ta", "ve",
	"zu", "den", "fa", "qui", "ro", "bal", "cer", "ix", "ol", "pra",
}

// tailWords is how many made-up words follow the real ones.
const tailWords = 20000

var (
	vocabOnce sync.Once
	vocab     []string
)

// vocabulary returns every word the generator draws from, in Zipf rank
// order, as in real text: function words first (in nearly every record),
// then the generic words of case work (in many), then a long tail of made-up
// words with the specific legal terms and surnames spread through its first
// few thousand ranks (each in a fraction of a percent of the records). The
// list is the same on every run.
func vocabulary() []string {
	vocabOnce.Do(func() {
		seen := map[string]bool{}
		var list []string
		add := func(w string) {
			if w = strings.ToLower(w); !seen[w] {
				seen[w] = true
				list = append(list, w)
			}
		}
		for _, w := range functionWords {
			add(w)
		}
		const generic = 80 // the most common words of case work
		for _, w := range legalTerms[:generic] {
			add(w)
		}
		var specific []string
		for _, w := range append(legalTerms[generic:], surnames...) {
			if !seen[strings.ToLower(w)] {
				specific = append(specific, w)
			}
		}
		n := len(syllables)
		next := 0
		for i := 0; len(list) < len(functionWords)+generic+len(specific)+tailWords && i < n*n*n*n; i++ {
			// Every eighth rank from 300 on is a real word, until they run out.
			if len(list) >= 300 && len(list)%8 == 0 && next < len(specific) {
				add(specific[next])
				next++
				continue
			}
			// Mix the index so neighbouring tail words do not share a stem.
			j := (i*7919 + 13) % (n * n * n * n)
			w := syllables[j%n] + syllables[(j/n)%n] + syllables[(j/(n*n))%n]
			if i%3 == 0 {
				w += syllables[(j/(n*n*n))%n]
			}
			add(w)
		}
		vocab = list
	})
	return vocab
}

// textGen makes deterministic, realistic-looking text: words drawn from a
// Zipf distribution over a vocabulary, so that a few words are in most
// records and most words are in few, as in real documents.
//
// Benchmark data draws from the whole vocabulary, made-up tail and all,
// and strings the words together as they come, so that its records, their
// sizes and the spread of their words stay as they were measured. The demo
// is read by people: it draws only real words and sets them in prose.
type textGen struct {
	r     *rand.Rand
	zipf  *rand.Zipf
	vocab []string
	prose bool
}

// newTextGen returns the generator of benchmark data.
func newTextGen(seed uint64) *textGen {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return &textGen{r: r, zipf: rand.NewZipf(r, 1.07, 3, uint64(len(vocabulary())-1)), vocab: vocabulary()}
}

// newProseGen returns the generator of the demo: real words in prose.
func newProseGen(seed uint64) *textGen {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	v := proseVocabulary()
	return &textGen{r: r, zipf: rand.NewZipf(r, 1.07, 3, uint64(len(v)-1)), vocab: v, prose: true}
}

// proseVocabulary is the vocabulary without its made-up tail: function
// words, the terms of case work and surnames, in that order.
func proseVocabulary() []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range [][]string{functionWords, legalTerms, surnames} {
		for _, w := range list {
			if w = strings.ToLower(w); !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// intn returns a number in [0, n).
func (g *textGen) intn(n int) int { return g.r.IntN(n) }

// chance reports true with probability p.
func (g *textGen) chance(p float64) bool { return g.r.Float64() < p }

// pick returns a random element of list.
func (g *textGen) pick(list []string) string { return list[g.r.IntN(len(list))] }

// word returns one word of the Zipf distribution.
func (g *textGen) word() string { return g.vocab[g.zipf.Uint64()] }

// Prose. Text is made of words drawn from the Zipf distribution, as
// before, so that every word is in as many records as it would be in real
// files: a search matches as often, however the words are set. The words
// that carry meaning are set in the terse sentences of a case file
// ("Reviewed deposition, expert report and Mr Karoten's statement."); the
// function words that were drawn give way to the sentences' own. Made-up
// words of the long tail are names (of people, places and products), so
// they are written as names.

// sentence returns k words drawn from the distribution: as a sentence of
// prose, or as they come (see textGen).
func (g *textGen) sentence(k int) string {
	if !g.prose {
		return g.words(k)
	}
	var people, things []string
	for range k {
		w := g.word()
		switch kindOf(w) {
		case functionWord:
		case nameWord:
			name := strings.ToUpper(w[:1]) + w[1:]
			if g.chance(0.25) {
				things = append(things, fmt.Sprintf(g.pick(namedThings), name))
			} else {
				people = append(people, fmt.Sprintf(g.pick(nameFrames), name))
			}
		default:
			if noun, ok := termNouns[w]; ok {
				w = noun
			}
			things = append(things, "the "+w)
		}
	}
	people, things = slices.Compact(people), slices.Compact(things)
	if len(people)+len(things) == 0 {
		return g.pick(shortSentences)
	}
	var out []string
	for len(people)+len(things) > 0 {
		p, t := min(len(people), 1+g.intn(2)), min(len(things), 1+g.intn(3))
		frames := clauseFrames
		switch {
		case p > 0 && t > 0:
			frames = bothFrames
		case p > 0:
			frames = peopleFrames
		}
		args := []any{}
		if p > 0 {
			args = append(args, list(people[:p]))
		}
		if t > 0 {
			args = append(args, list(things[:t]))
		}
		out = append(out, fmt.Sprintf(g.pick(frames), args...))
		people, things = people[p:], things[t:]
	}
	return strings.Join(out, " ")
}

// words returns n words as they are drawn, as a sentence.
func (g *textGen) words(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		w := g.word()
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	b.WriteByte('.')
	return b.String()
}

// list joins phrases as "a, b and c".
func list(p []string) string {
	if len(p) == 1 {
		return p[0]
	}
	return strings.Join(p[:len(p)-1], ", ") + " and " + p[len(p)-1]
}

// paragraph returns about n words in sentences of 6 to 14 words.
func (g *textGen) paragraph(n int) string {
	var parts []string
	for n > 0 {
		k := min(n, 6+g.intn(9))
		parts = append(parts, g.sentence(k))
		n -= k
	}
	return strings.Join(parts, " ")
}

type wordKind int

const (
	termWord wordKind = iota
	functionWord
	nameWord // a surname or a made-up word of the tail
)

var (
	kindsOnce sync.Once
	kinds     map[string]wordKind
)

// kindOf says what a word of the vocabulary is.
func kindOf(w string) wordKind {
	kindsOnce.Do(func() {
		kinds = map[string]wordKind{}
		for _, v := range vocabulary() {
			kinds[v] = nameWord
		}
		for _, t := range legalTerms {
			kinds[strings.ToLower(t)] = termWord
		}
		for _, f := range functionWords {
			kinds[f] = functionWord
		}
	})
	return kinds[w]
}

// person returns a first and last name.
func (g *textGen) person() string { return g.pick(firstNames) + " " + g.surname() }

// surname favours the common names, as real client lists do, among many
// rarer ones (made from syllables; the demo's are all real).
func (g *textGen) surname() string {
	if g.chance(0.4) && !g.prose {
		w := vocabulary()[300+g.intn(tailWords-300)]
		return strings.ToUpper(w[:1]) + w[1:]
	}
	return surnames[min(g.intn(len(surnames)), g.intn(len(surnames)))]
}

// company returns an organisation name.
func (g *textGen) company() string {
	stem, suffix := g.pick(companyStems), g.pick(companySuffixes)
	name := stem + " " + suffix
	if suffix == "Trust" || suffix == "Partners" || suffix == "Bank" {
		return name
	}
	// The same company always has the same legal form.
	if form := companyForms[(len(stem)*7+len(suffix))%len(companyForms)]; form != "" {
		name += " " + form
	}
	return name
}

// lawFirm returns the name of another firm of lawyers.
func (g *textGen) lawFirm() string {
	i := g.intn(len(surnames))
	j := (i + 1 + g.intn(len(surnames)-1)) % len(surnames)
	return fmt.Sprintf(g.pick(lawFirmForms), surnames[i], surnames[j])
}

// brand returns a made-up name of the long tail, as a product or a mark.
func (g *textGen) brand() string {
	w := vocabulary()[300+g.intn(tailWords-300)]
	return strings.ToUpper(w[:1]) + w[1:]
}
