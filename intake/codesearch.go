package intake

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// CodeMatch is one code found by a search, with its title.
type CodeMatch struct {
	Code  string `json:"code"`
	Title string `json:"title"`
}

// codeIndex is a code list prepared for search: codes in order, and the
// words of their titles folded (lower case, no accents), each word once
// with the codes whose titles have it.
type codeIndex struct {
	codes    []string
	vocab    []string
	postings [][]int32
}

// fold returns s in lower case without accents ("Värme" → "varme").
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (cl *CodeList) index() *codeIndex {
	cl.indexOnce.Do(func() {
		ix := &codeIndex{}
		for c := range cl.titles {
			ix.codes = append(ix.codes, c)
		}
		sort.Strings(ix.codes)
		at := map[string]int{}
		for i, c := range ix.codes {
			for _, w := range words(cl.titles[c]) {
				n, ok := at[w]
				if !ok {
					n = len(ix.vocab)
					at[w] = n
					ix.vocab = append(ix.vocab, w)
					ix.postings = append(ix.postings, nil)
				}
				if p := ix.postings[n]; len(p) == 0 || p[len(p)-1] != int32(i) {
					ix.postings[n] = append(p, int32(i))
				}
			}
		}
		cl.ix = ix
	})
	return cl.ix
}

// Search finds codes by code prefix ("F32", "f321", "F32.1") or by the
// words of their titles, case- and accent-insensitively ("depression"
// finds "Medelsvår depressiv episod", "utmattning" finds
// "Utmattningssyndrom"), best matches first, at most limit.
func (cl *CodeList) Search(q string, limit int) []CodeMatch {
	q = strings.TrimSpace(q)
	if q == "" || limit <= 0 {
		return nil
	}
	ix := cl.index()
	type hit struct {
		i     int
		score int
	}
	var hits []hit
	if bare := bareCode(q); codeShape(bare) || (len(bare) >= 1 && len(bare) <= 3 && unicode.IsLetter(rune(bare[0]))) {
		// A code or the start of one: every code that begins with it.
		start := sort.SearchStrings(ix.codes, bare)
		for i := start; i < len(ix.codes) && strings.HasPrefix(ix.codes[i], bare); i++ {
			hits = append(hits, hit{i, 1000 - len(ix.codes[i])})
		}
	}
	if terms := words(q); len(hits) == 0 && len(terms) > 0 {
		// Each term's best score per code; a code must match every term.
		total := map[int32]int{}
		for n, t := range terms {
			best := map[int32]int{}
			for v, w := range ix.vocab {
				if s := termScore(t, w); s > 0 {
					for _, i := range ix.postings[v] {
						best[i] = max(best[i], s)
					}
				}
			}
			for i, s := range best {
				if n == 0 {
					total[i] = s
				} else if _, ok := total[i]; ok {
					total[i] += s
				}
			}
			for i := range total {
				if best[i] == 0 {
					delete(total, i)
				}
			}
		}
		// Short titles are the general codes ("Depressiv episod"): a little
		// ahead of long ones with the same words.
		for i, s := range total {
			hits = append(hits, hit{int(i), 10*s - cl.wordCount(ix.codes[i])})
		}
		slices.SortFunc(hits, func(a, b hit) int { return a.i - b.i }) // code order among equals
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return b.score - a.score })
	out := make([]CodeMatch, 0, min(limit, len(hits)))
	for _, h := range hits[:min(limit, len(hits))] {
		c := ix.codes[h.i]
		out = append(out, CodeMatch{Code: dottedCode(c), Title: cl.titles[c]})
	}
	return out
}

// words returns s folded and split into words.
func words(s string) []string {
	return strings.FieldsFunc(fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// termScore rates how well a search term matches a title word: the whole
// word best, then a shared stem ("depression", "depressiv"), then its
// start, then a part of a compound ("utmattning" in
// "värmeutmattning"); 0 is no match.
func termScore(t, w string) int {
	switch {
	case w == t:
		return 8
	case strings.HasPrefix(w, t):
		return 6
	case len(t) >= 5 && commonPrefix(t, w) >= max(5, min(len(t), len(w))-2):
		return 7
	case len(t) >= 4 && strings.Contains(w, t):
		return 3
	}
	return 0
}

func (cl *CodeList) wordCount(code string) int { return len(words(cl.titles[code])) }

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// searchState is the lazily built index of a CodeList.
type searchState struct {
	indexOnce sync.Once
	ix        *codeIndex
}
