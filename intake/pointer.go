package intake

import (
	"fmt"
	"strconv"
	"strings"
)

// This file is the one home of JSON Pointers (RFC 6901): parsing, escaping,
// joining, "*" wildcards, resolving against a decoded document, setting a
// value, and ordering. Decode, schema mapping, rules, normalisation and the
// web form all use it; nothing else splits a pointer by hand.

// Pointer is a parsed JSON Pointer: its reference tokens, unescaped. In a
// pattern, the token "*" matches every element of an array.
type Pointer []string

// ParsePointer parses an RFC 6901 pointer ("" is the whole document).
func ParsePointer(s string) (Pointer, error) {
	if s == "" {
		return Pointer{}, nil
	}
	if s[0] != '/' {
		return nil, fmt.Errorf("pointer %q must start with /", s)
	}
	toks := strings.Split(s[1:], "/")
	for i, t := range toks {
		if strings.Contains(t, "~") {
			toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
		}
	}
	return toks, nil
}

// MustParsePointer parses a pointer known to be well formed (it starts with "/").
func MustParsePointer(s string) Pointer {
	p, err := ParsePointer(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the pointer in its escaped form.
func (p Pointer) String() string {
	var b strings.Builder
	for _, t := range p {
		b.WriteByte('/')
		b.WriteString(EscapeToken(t))
	}
	return b.String()
}

// EscapeToken escapes one reference token ("~" as "~0", "/" as "~1").
func EscapeToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// JoinPointer appends one member name to an escaped pointer.
func JoinPointer(base, name string) string { return base + "/" + EscapeToken(name) }

// JoinIndex appends one array index to an escaped pointer.
func JoinIndex(base string, i int) string { return base + "/" + strconv.Itoa(i) }

// Index returns a token as an array index, if it is one (digits only, no
// leading sign, short enough not to overflow).
func Index(tok string) (int, bool) {
	if tok == "" || len(tok) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range tok {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Match is one value a pointer pattern found. Its concrete pointer is
// built only when asked for, since rules ask only for the pointers of
// problems.
type Match struct {
	Value any
	// pattern is the pointer that found the value, and wild the index
	// each of its "*" took, in order (-1 where "*" named an object member).
	pattern Pointer
	wild    [MaxWildcards]int
}

// MaxWildcards is the most "*" tokens a pattern given to Resolve may hold.
const MaxWildcards = 4

// Pointer returns the escaped concrete pointer of the match.
func (m Match) Pointer() string {
	b := make([]byte, 0, 64)
	w := 0
	for _, t := range m.pattern {
		b = append(b, '/')
		if t == "*" && w < len(m.wild) {
			w++
			if i := m.wild[w-1]; i >= 0 {
				b = strconv.AppendInt(b, int64(i), 10)
				continue
			}
		}
		b = append(b, EscapeToken(t)...)
	}
	return string(b)
}

// Resolve finds every value of doc at p; "*" matches each element of an
// array (p may hold at most MaxWildcards of them; a further "*" matches
// nothing). A pointer without wildcards finds at most one value.
func (p Pointer) Resolve(doc any) []Match {
	return resolve(doc, p, Match{pattern: p}, 0, nil)
}

// resolve appends the matches of toks, the rest of m.pattern, in v to out;
// m holds the indexes taken so far, w of them.
func resolve(v any, toks []string, m Match, w int, out []Match) []Match {
	if len(toks) == 0 {
		m.Value = v
		return append(out, m)
	}
	if toks[0] == "*" && w == MaxWildcards {
		return out
	}
	switch v := v.(type) {
	case map[string]any:
		if x, ok := v[toks[0]]; ok {
			if toks[0] == "*" {
				m.wild[w] = -1
				w++
			}
			return resolve(x, toks[1:], m, w, out)
		}
	case []any:
		if toks[0] == "*" {
			for i, x := range v {
				m.wild[w] = i
				out = resolve(x, toks[1:], m, w+1, out)
			}
			return out
		}
		if i, ok := Index(toks[0]); ok && i < len(v) {
			return resolve(v[i], toks[1:], m, w, out)
		}
	}
	return out
}

// each calls fn with every value of doc at p ("*" as in Resolve), in the
// same order, until fn returns true; it reports whether fn did. Unlike
// Resolve it builds no pointers, for the callers that need only values.
func (p Pointer) each(doc any, fn func(v any) bool) bool {
	if len(p) == 0 {
		return fn(doc)
	}
	switch v := doc.(type) {
	case map[string]any:
		if x, ok := v[p[0]]; ok {
			return p[1:].each(x, fn)
		}
	case []any:
		if p[0] == "*" {
			for _, x := range v {
				if p[1:].each(x, fn) {
					return true
				}
			}
			return false
		}
		if i, ok := Index(p[0]); ok && i < len(v) {
			return p[1:].each(v[i], fn)
		}
	}
	return false
}

// Parent returns the object that holds, or would hold, the last token of
// p, when exactly one such object exists.
func (p Pointer) Parent(doc any) (map[string]any, bool) {
	if len(p) == 0 {
		return nil, false
	}
	var parent any
	n := 0
	p[:len(p)-1].each(doc, func(v any) bool {
		parent = v
		n++
		return n > 1
	})
	if n != 1 {
		return nil, false
	}
	obj, ok := parent.(map[string]any)
	return obj, ok
}

// Last returns the pointer's last token ("" for the whole document).
func (p Pointer) Last() string {
	if len(p) == 0 {
		return ""
	}
	return p[len(p)-1]
}

// Set replaces the value at a concrete pointer (no wildcards) of doc; it
// does nothing when the place does not exist.
func (p Pointer) Set(doc any, v any) {
	cur := doc
	for i, t := range p {
		last := i == len(p)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[t] = v
				return
			}
			cur = c[t]
		case []any:
			n, ok := Index(t)
			if !ok || n >= len(c) {
				return
			}
			if last {
				c[n] = v
				return
			}
			cur = c[n]
		default:
			return
		}
	}
}

// ComparePointers orders escaped pointers token by token, numerically
// where both tokens are array indexes, so /a/2 sorts before /a/10. A
// pointer sorts before the longer pointers it is a prefix of. It allocates
// nothing, since sorting thousands of problems calls it often.
func ComparePointers(a, b string) int {
	for {
		ta, restA, moreA := strings.Cut(a, "/")
		tb, restB, moreB := strings.Cut(b, "/")
		if ta != tb {
			na, aok := Index(ta)
			nb, bok := Index(tb)
			if aok && bok {
				if na < nb {
					return -1
				}
				return 1
			}
			return strings.Compare(ta, tb)
		}
		switch {
		case !moreA && !moreB:
			return 0
		case !moreA:
			return -1
		case !moreB:
			return 1
		}
		a, b = restA, restB
	}
}

// withinAny reports whether pointer ptr is one of set or inside one: a
// prefix of it that ends at a token's end (/a/b is within /a, /ab is not).
func withinAny(ptr string, set map[string]bool) bool {
	for {
		if set[ptr] {
			return true
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return false
		}
		ptr = ptr[:i]
	}
}
