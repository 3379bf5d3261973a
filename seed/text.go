package seed

import (
	"math/rand/v2"
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
// Zipf distribution over the vocabulary, so that a few words are in most
// records and most words are in few, as in real documents.
type textGen struct {
	r    *rand.Rand
	zipf *rand.Zipf
}

func newTextGen(seed uint64) *textGen {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return &textGen{r: r, zipf: rand.NewZipf(r, 1.07, 3, uint64(len(vocabulary())-1))}
}

// intn returns a number in [0, n).
func (g *textGen) intn(n int) int { return g.r.IntN(n) }

// chance reports true with probability p.
func (g *textGen) chance(p float64) bool { return g.r.Float64() < p }

// pick returns a random element of list.
func (g *textGen) pick(list []string) string { return list[g.r.IntN(len(list))] }

// word returns one word of the Zipf distribution.
func (g *textGen) word() string { return vocabulary()[g.zipf.Uint64()] }

// sentence returns n words as a sentence.
func (g *textGen) sentence(n int) string {
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

// person returns a first and last name.
func (g *textGen) person() string { return g.pick(firstNames) + " " + g.surname() }

// surname favours the common names, as real client lists do, among many
// rarer ones (made from syllables).
func (g *textGen) surname() string {
	if g.chance(0.4) {
		w := vocabulary()[300+g.intn(tailWords-300)]
		return strings.ToUpper(w[:1]) + w[1:]
	}
	return surnames[min(g.intn(len(surnames)), g.intn(len(surnames)))]
}

// company returns an organisation name.
func (g *textGen) company() string { return g.pick(companyStems) + " " + g.pick(companySuffixes) }
