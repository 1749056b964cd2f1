package intake

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/intyg/intyg/schemas"
)

// The rule vocabulary: the checks JSON Schema cannot express, declared in a
// template's template.json and implemented here once for every template.
//
//	required   fields: pointers that must be present when "when" holds (code required)
//	forbidden  fields: pointers that must be absent when "when" holds (code notAllowed)
//	unique     field: an array whose items (or item[key]) must differ (code duplicate, at the later one)
//	dateLimit  field: dates (with *) that must lie within minDays..maxDays of the signing day
//	           (codes dateTooEarly / dateInFuture, or the rule's code)
//	dateOrder  field: an array of items whose item[to] is not before item[from] (code dateBeforeStart)
//	noOverlap  field: an array of items whose [from, to] ranges share no day (code overlap)
//	codeList   field: codes (with *) that must exist in list, with minLength per prefix
//	           (codes unknownCode, codeTooShort)
//
// Every rule may set severity "warning" (reported, not blocking) and code.
// Conditions ("when") use schemas.Condition: field with equals / in /
// present, not, allOf, anyOf; a field with "*" holds if any match holds.

// rule is a compiled rule.
type rule struct {
	schemas.Rule
	fields  [][]string // parsed pointers of Fields, or of Field
	list    *CodeList
	warning bool
}

// ruleKinds lists the kinds and which parameters each needs.
var ruleKinds = map[string]func(r schemas.Rule) error{
	"required":  needFields,
	"forbidden": needFields,
	"unique":    needField,
	"dateLimit": func(r schemas.Rule) error {
		if r.MinDays == nil && r.MaxDays == nil {
			return fmt.Errorf("dateLimit needs minDays or maxDays")
		}
		return needField(r)
	},
	"dateOrder": needFromTo,
	"noOverlap": needFromTo,
	"codeList": func(r schemas.Rule) error {
		if r.List == "" {
			return fmt.Errorf("codeList needs list")
		}
		return needField(r)
	},
}

func needFields(r schemas.Rule) error {
	if len(r.Fields) == 0 {
		return fmt.Errorf("%s needs fields", r.Rule)
	}
	return nil
}

func needField(r schemas.Rule) error {
	if r.Field == "" {
		return fmt.Errorf("%s needs field", r.Rule)
	}
	return nil
}

func needFromTo(r schemas.Rule) error {
	if r.From == "" || r.To == "" {
		return fmt.Errorf("%s needs from and to", r.Rule)
	}
	return needField(r)
}

// compileRule checks a declared rule and resolves its pointers and list.
func compileRule(r schemas.Rule, lists map[string]*CodeList) (rule, error) {
	check, ok := ruleKinds[r.Rule]
	if !ok {
		return rule{}, fmt.Errorf("unknown rule %q", r.Rule)
	}
	if err := check(r); err != nil {
		return rule{}, err
	}
	if r.Severity != "" && r.Severity != "error" && r.Severity != "warning" {
		return rule{}, fmt.Errorf("%s: severity must be error or warning", r.Rule)
	}
	cr := rule{Rule: r, warning: r.Severity == "warning"}
	ptrs := r.Fields
	if r.Field != "" {
		ptrs = append([]string{r.Field}, ptrs...)
	}
	for _, p := range ptrs {
		toks, err := parsePointer(p)
		if err != nil {
			return rule{}, fmt.Errorf("%s: %w", r.Rule, err)
		}
		cr.fields = append(cr.fields, toks)
	}
	if r.List != "" {
		if cr.list = lists[r.List]; cr.list == nil {
			return rule{}, fmt.Errorf("%s: unknown code list %q", r.Rule, r.List)
		}
	}
	if err := checkCondition(r.When); err != nil {
		return rule{}, fmt.Errorf("%s: when: %w", r.Rule, err)
	}
	return cr, nil
}

// checkCondition reports a condition that is not exactly one of its forms.
func checkCondition(c *schemas.Condition) error {
	if c == nil {
		return nil
	}
	forms := 0
	if c.Field != "" {
		forms++
		if _, err := parsePointer(c.Field); err != nil {
			return err
		}
		tests := 0
		for _, set := range []bool{c.Equals != nil, c.In != nil, c.Present != nil} {
			if set {
				tests++
			}
		}
		if tests != 1 {
			return fmt.Errorf("field %s needs exactly one of equals, in, present", c.Field)
		}
	}
	if c.Not != nil {
		forms++
		if err := checkCondition(c.Not); err != nil {
			return err
		}
	}
	for _, list := range [][]*schemas.Condition{c.AllOf, c.AnyOf} {
		if list != nil {
			forms++
		}
		for _, sub := range list {
			if err := checkCondition(sub); err != nil {
				return err
			}
		}
	}
	if forms != 1 {
		return fmt.Errorf("a condition needs exactly one of field, not, allOf, anyOf")
	}
	return nil
}

// Holds reports whether condition c holds for doc. A nil condition holds.
// The web form uses it to show and hide dependent questions.
func Holds(c *schemas.Condition, doc any) bool {
	switch {
	case c == nil:
		return true
	case c.Not != nil:
		return !Holds(c.Not, doc)
	case c.AllOf != nil:
		for _, sub := range c.AllOf {
			if !Holds(sub, doc) {
				return false
			}
		}
		return true
	case c.AnyOf != nil:
		for _, sub := range c.AnyOf {
			if Holds(sub, doc) {
				return true
			}
		}
		return false
	}
	toks, err := parsePointer(c.Field)
	if err != nil {
		return false
	}
	matches := resolve(doc, toks, "", nil)
	if c.Present != nil {
		return (len(matches) > 0) == *c.Present
	}
	for _, m := range matches {
		if c.Equals != nil && jsonEqual(m.value, c.Equals) {
			return true
		}
		for _, want := range c.In {
			if jsonEqual(m.value, want) {
				return true
			}
		}
	}
	return false
}

// match is one value found by a pointer, with its concrete pointer.
type match struct {
	ptr   string
	value any
}

// parsePointer splits an RFC 6901 pointer into unescaped tokens.
func parsePointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("pointer %q must start with /", p)
	}
	toks := strings.Split(p[1:], "/")
	for i, t := range toks {
		if strings.Contains(t, "~") {
			toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
		}
	}
	return toks, nil
}

// resolve finds every value at toks below v; the token "*" matches each
// element of an array.
func resolve(v any, toks []string, prefix string, out []match) []match {
	if len(toks) == 0 {
		return append(out, match{prefix, v})
	}
	switch v := v.(type) {
	case map[string]any:
		if x, ok := v[toks[0]]; ok {
			return resolve(x, toks[1:], prefix+"/"+escapePointer(toks[0]), out)
		}
	case []any:
		if toks[0] == "*" {
			for i, x := range v {
				out = resolve(x, toks[1:], fmt.Sprintf("%s/%d", prefix, i), out)
			}
			return out
		}
		if i, ok := index(toks[0]); ok && i < len(v) {
			return resolve(v[i], toks[1:], prefix+"/"+toks[0], out)
		}
	}
	return out
}

// parentExists reports whether the object that would hold the last token of
// toks exists, so that "required" is reported only where the parent is there
// (a missing parent is its own problem).
func parentExists(doc any, toks []string) (map[string]any, bool) {
	ms := resolve(doc, toks[:len(toks)-1], "", nil)
	if len(ms) != 1 {
		return nil, false
	}
	obj, ok := ms[0].value.(map[string]any)
	return obj, ok
}

// jsonEqual compares a decoded document value (strings, json.Number, bools)
// with a value from a template (strings, float64, bools).
func jsonEqual(a, b any) bool {
	x, aNum := number(a)
	y, bNum := number(b)
	if aNum || bNum {
		return aNum && bNum && x == y
	}
	return a == b
}

func number(v any) (float64, bool) {
	switch v := v.(type) {
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case float64:
		return v, true
	case int:
		return float64(v), true
	}
	return 0, false
}

// apply runs the rule on doc; today is the signing day (zero if unknown).
func (r rule) apply(doc any, today Date) Problems {
	if !Holds(r.When, doc) {
		return nil
	}
	var ps Problems
	add := func(ptr, code string, arg any) {
		if r.Code != "" {
			code = r.Code
		}
		ps = append(ps, problem(ptr, code, arg))
	}
	switch r.Rule.Rule {
	case "required", "forbidden":
		for _, toks := range r.fields {
			obj, ok := parentExists(doc, toks)
			if !ok {
				continue
			}
			_, present := obj[toks[len(toks)-1]]
			ptr := pointerOf(toks)
			if r.Rule.Rule == "required" && !present {
				add(ptr, "required", nil)
			}
			if r.Rule.Rule == "forbidden" && present {
				add(ptr, "notAllowed", nil)
			}
		}
	case "unique":
		for _, m := range resolve(doc, r.fields[0], "", nil) {
			items, _ := m.value.([]any)
			var seen []any
			for i, it := range items {
				ptr := fmt.Sprintf("%s/%d", m.ptr, i)
				if r.Key != "" {
					obj, _ := it.(map[string]any)
					it = obj[r.Key]
					ptr += "/" + escapePointer(r.Key)
				}
				if it == nil {
					continue
				}
				for _, s := range seen {
					if jsonEqual(s, it) {
						add(ptr, "duplicate", nil)
						break
					}
				}
				seen = append(seen, it)
			}
		}
	case "dateLimit":
		if today.IsZero() {
			break
		}
		for _, m := range resolve(doc, r.fields[0], "", nil) {
			d, ok := dateValue(m.value)
			switch {
			case !ok:
			case r.MaxDays != nil && d.After(today.AddDays(*r.MaxDays).Time):
				add(m.ptr, "dateInFuture", *r.MaxDays)
			case r.MinDays != nil && d.Before(today.AddDays(*r.MinDays).Time):
				add(m.ptr, "dateTooEarly", -*r.MinDays)
			}
		}
	case "dateOrder", "noOverlap":
		for _, m := range resolve(doc, r.fields[0], "", nil) {
			ranges := dateRanges(m, r.From, r.To)
			if r.Rule.Rule == "dateOrder" {
				for _, x := range ranges {
					if x.to.Before(x.from.Time) {
						add(x.ptr+"/"+escapePointer(r.To), "dateBeforeStart", nil)
					}
				}
				continue
			}
			for _, i := range overlapping(ranges) {
				add(ranges[i].ptr+"/"+escapePointer(r.From), "overlap", nil)
			}
		}
	case "codeList":
		for _, m := range resolve(doc, r.fields[0], "", nil) {
			s, ok := m.value.(string)
			if !ok {
				continue
			}
			bare := bareCode(s)
			if _, _, found := r.list.Lookup(bare); !found || !codeShape(bare) {
				add(m.ptr, "unknownCode", r.list.Title)
				continue
			}
			for _, pl := range r.MinLength {
				if strings.HasPrefix(bare, pl.Prefix) && len(bare) < pl.Length {
					add(m.ptr, "codeTooShort", pl.Length)
					break
				}
			}
		}
	}
	return ps
}

// dateRange is one array item's valid [from, to] range.
type dateRange struct {
	ptr      string
	index    int
	from, to Date
}

// dateRanges returns the items of an array whose from and to are both valid dates.
func dateRanges(m match, from, to string) []dateRange {
	items, _ := m.value.([]any)
	var out []dateRange
	for i, it := range items {
		obj, _ := it.(map[string]any)
		f, ok1 := dateValue(obj[from])
		t, ok2 := dateValue(obj[to])
		if ok1 && ok2 {
			out = append(out, dateRange{fmt.Sprintf("%s/%d", m.ptr, i), i, f, t})
		}
	}
	return out
}

// overlapping returns the positions in rs of ranges that overlap an earlier
// starting one (a shared day counts); of two with the same start, the later
// in the array is reported. Reversed ranges are left to dateOrder.
func overlapping(rs []dateRange) []int {
	var out []int
	for j := range rs {
		for i := range rs {
			a, b := rs[i], rs[j]
			if i == j || a.to.Before(a.from.Time) || b.to.Before(b.from.Time) {
				continue
			}
			later := b.from.After(a.from.Time) || (b.from.Equal(a.from.Time) && j > i)
			if later && !b.from.After(a.to.Time) {
				out = append(out, j)
				break
			}
		}
	}
	return out
}

func dateValue(v any) (Date, bool) {
	s, ok := v.(string)
	if !ok {
		return Date{}, false
	}
	d, err := ParseDate(s)
	return d, err == nil
}
