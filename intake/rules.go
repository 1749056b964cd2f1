package intake

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/intyg/intyg/schemas"
)

// The rule vocabulary: the checks JSON Schema cannot express, declared in a
// template's template.json and implemented here once for every template.
//
//	required   fields: pointers that must be present when "when" holds (code required),
//	           unless a forbidden rule on the same field holds too
//	forbidden  fields: pointers that must be absent when "when" holds (code notAllowed)
//	unique     field: an array whose items (or item[key]) must differ (code duplicate, at the later one)
//	dateLimit  field: dates (with *) that must lie within minDays..maxDays of the signing day
//	           (codes dateTooEarly / dateInFuture, or the rule's code)
//	dateOrder  field: an array of items whose item[to] is not before item[from] (code dateBeforeStart)
//	noOverlap  field: an array of items whose [from, to] ranges share no day (code overlap)
//	codeList   field: codes (with *) that must exist in list, with minLength per prefix
//	           (codes unknownCode, codeTooShort)
//	dateNotAfter field: dates (with *) that must not be after any date at than (with *)
//	           whose object meets where, a condition on that object ("/type")
//	           (code dateAfter, at the date in field)
//
// Every rule may set severity "warning" (reported, not blocking) and code.
// Conditions ("when") use schemas.Condition: field with equals / in /
// present, not, allOf, anyOf; a field with "*" holds if any match holds.

// rule is a compiled rule: its declaration, its pointers parsed once, and
// its kind.
type rule struct {
	schemas.Rule
	kind    ruleKind
	fields  []Pointer // Field first, then Fields
	list    *CodeList
	warning bool
	// when and where are the rule's conditions, and than its "than"
	// pointer, parsed once when the template compiles.
	when, where *condition
	than        Pointer
	// forbiddenWhen holds, for each field of a required rule, the
	// conditions of the template's forbidden rules on the same field
	// (linkForbidden).
	forbiddenWhen [][]*condition
}

// notRequired is 0 for a required rule, 1 for any other: the order in
// which a template's rules apply.
func notRequired(r rule) int {
	if r.Rule.Rule == "required" {
		return 0
	}
	return 1
}

// linkForbidden gives each required rule of a template the conditions
// under which another of its rules forbids the same field. A field that
// both holds for is forbidden, not required: a refusal must not ask for
// an answer that another rule says must not be given (fk7804's 1.3 when
// basis has ANNAT but 27 rules basis out).
func linkForbidden(rules []rule) {
	for i := range rules {
		r := &rules[i]
		if r.Rule.Rule != "required" {
			continue
		}
		r.forbiddenWhen = make([][]*condition, len(r.fields))
		for j, f := range r.fields {
			for k := range rules {
				if rules[k].Rule.Rule != "forbidden" || rules[k].warning {
					continue // a warning refuses nothing, so it excuses nothing
				}
				for _, g := range rules[k].fields {
					if g.String() == f.String() {
						r.forbiddenWhen[j] = append(r.forbiddenWhen[j], rules[k].when)
					}
				}
			}
		}
	}
}

// ruleKind is one kind of the vocabulary: what it needs of its declaration
// (checked when the template compiles) and how it applies to a document,
// reporting its problems to rp.
type ruleKind struct {
	check func(r schemas.Rule) error
	apply func(r *rule, doc any, today Date, rp *reporter)
	// value: the kind's problems have a value (a limit, a date, a code
	// system) for a declared message's %v; the others report none.
	value bool
}

// reporter collects the problems of the rules applied to one document: one
// for all the rules, since a closure per rule was an allocation each.
type reporter struct {
	rule         *rule // the rule being applied
	ps, warnings Problems
	// refused are the values the checks before the rules refused (a wrong
	// type, a code not in the list, a list too short) or found missing
	// where they are required, and those a required rule found missing: a
	// condition that depends on one of them is neither true nor false
	// (decide), and its rule is not applied.
	refused []refusal
}

// refusal is a value left unknown to the rules: at its place, missing
// (required) or there but refused.
type refusal struct {
	at      Pointer
	missing bool
}

// refusedValue are the codes of the problems that leave a value unknown
// to the rules: not, say, maxItems, whose items are still read.
var refusedValue = map[string]bool{"type": true, "enum": true, "minItems": true, "required": true}

// newReporter begins with the problems found before the rules.
func newReporter(ps Problems) reporter {
	rp := reporter{ps: ps}
	for _, p := range ps {
		rp.refuse(p.Pointer, p.Code)
	}
	return rp
}

// refuse records the value at ptr as refused if a problem of code leaves
// it unknown.
func (rp *reporter) refuse(ptr, code string) {
	if !refusedValue[code] {
		return
	}
	if at, err := ParsePointer(ptr); err == nil {
		rp.refused = append(rp.refused, refusal{at: at, missing: code == "required"})
	}
}

// decide is whether k holds for doc, and whether that is sure, given what
// was refused (condition.decide); sure without refusals.
func (rp *reporter) decide(k *condition, doc any) (holds, sure bool) {
	if len(rp.refused) == 0 {
		return k.holds(doc), true
	}
	return k.decide(doc, rp.refused)
}

// report adds a problem of the rule being applied; the rule's own "code"
// replaces the kind's, and a warning rule's problems are warnings.
func (rp *reporter) report(ptr, code string, arg any) {
	if !rp.rule.warning {
		rp.refuse(ptr, code) // a required answer missing decides the later rules' conditions no more
	}
	if rp.rule.Code != "" {
		code = rp.rule.Code
	}
	p := problem(ptr, code, arg)
	if m := rp.rule.Message; m != nil {
		p.Message, p.MessageEn = fillDeclared(m.SV, arg), fillDeclared(m.In("en"), arg)
	}
	if rp.rule.warning {
		rp.warnings = append(rp.warnings, p)
		return
	}
	rp.ps = append(rp.ps, p)
}

// ruleKinds is the rule vocabulary, each kind declared once.
var ruleKinds = map[string]ruleKind{
	"required":  {check: needFields, apply: applyPresence},
	"forbidden": {check: needFields, apply: applyPresence},
	"unique":    {check: needField, apply: applyUnique},
	"dateLimit": {
		value: true,
		check: func(r schemas.Rule) error {
			if r.MinDays == nil && r.MaxDays == nil {
				return fmt.Errorf("dateLimit needs minDays or maxDays")
			}
			return needField(r)
		},
		apply: applyDateLimit,
	},
	"dateOrder": {check: needFromTo, apply: applyDateOrder},
	"noOverlap": {check: needFromTo, apply: applyNoOverlap},
	"dateNotAfter": {
		value: true,
		check: func(r schemas.Rule) error {
			p, err := ParsePointer(r.Than)
			if err != nil || len(p) == 0 || p.Last() == "*" {
				return fmt.Errorf("dateNotAfter needs than, a pointer to a date")
			}
			if err := checkCondition(r.Where); err != nil {
				return fmt.Errorf("dateNotAfter: where: %w", err)
			}
			return needField(r)
		},
		apply: applyDateNotAfter,
	},
	"codeList": {
		value: true,
		check: func(r schemas.Rule) error {
			if r.List == "" {
				return fmt.Errorf("codeList needs list")
			}
			return needField(r)
		},
		apply: applyCodeList,
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
	kind, ok := ruleKinds[r.Rule]
	if !ok {
		return rule{}, fmt.Errorf("unknown rule %q", r.Rule)
	}
	if err := kind.check(r); err != nil {
		return rule{}, err
	}
	switch {
	case r.Message != nil && r.Code == "":
		return rule{}, fmt.Errorf("%s: a message of its own needs a code of its own", r.Rule)
	case r.Message != nil:
		if err := r.Message.CheckDeclared(kind.value); err != nil {
			return rule{}, fmt.Errorf("%s: message: %w", r.Rule, err)
		}
	case r.Code != "" && !HasText(r.Code):
		return rule{}, fmt.Errorf("%s: code %q has no message, in the rule or in the catalogue", r.Rule, r.Code)
	}
	if r.Severity != "" && r.Severity != "error" && r.Severity != "warning" {
		return rule{}, fmt.Errorf("%s: severity must be error or warning", r.Rule)
	}
	cr := rule{Rule: r, kind: kind, warning: r.Severity == "warning"}
	ptrs := r.Fields
	if r.Field != "" {
		ptrs = append([]string{r.Field}, ptrs...)
	}
	for _, s := range ptrs {
		p, err := ParsePointer(s)
		if err != nil {
			return rule{}, fmt.Errorf("%s: %w", r.Rule, err)
		}
		if len(p) == 0 {
			return rule{}, fmt.Errorf("%s: the whole document is not a field", r.Rule)
		}
		if n := strings.Count(s, "*"); n > MaxWildcards {
			return rule{}, fmt.Errorf("%s: %s has %d wildcards, more than %d", r.Rule, s, n, MaxWildcards)
		}
		cr.fields = append(cr.fields, p)
	}
	if r.List != "" {
		if cr.list = lists[r.List]; cr.list == nil {
			return rule{}, fmt.Errorf("%s: unknown code list %q", r.Rule, r.List)
		}
	}
	if err := checkCondition(r.When); err != nil {
		return rule{}, fmt.Errorf("%s: when: %w", r.Rule, err)
	}
	cr.when, cr.where = compileCondition(r.When), compileCondition(r.Where)
	if r.Than != "" {
		// Only dateNotAfter uses than and checks it, but any rule may set
		// it: a malformed one is an error here, not a panic.
		var err error
		if cr.than, err = ParsePointer(r.Than); err != nil {
			return rule{}, fmt.Errorf("%s: than: %w", r.Rule, err)
		}
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
		if _, err := ParsePointer(c.Field); err != nil {
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
// The web form and the PDF use it to show and hide dependent questions.
func Holds(c *schemas.Condition, doc any) bool {
	return compileCondition(c).holds(doc)
}

// condition is a schemas.Condition with its pointer parsed, so that rules
// evaluated for every submission do not parse it again.
type condition struct {
	*schemas.Condition
	field        Pointer
	badField     bool // field is not a valid pointer: the condition never holds
	not          *condition
	allOf, anyOf []*condition
}

// compileCondition parses c's pointers; nil stays nil (a condition that
// holds).
func compileCondition(c *schemas.Condition) *condition {
	if c == nil {
		return nil
	}
	k := &condition{Condition: c, not: compileCondition(c.Not)}
	for _, sub := range c.AllOf {
		k.allOf = append(k.allOf, compileCondition(sub))
	}
	for _, sub := range c.AnyOf {
		k.anyOf = append(k.anyOf, compileCondition(sub))
	}
	if c.Not == nil && c.AllOf == nil && c.AnyOf == nil {
		p, err := ParsePointer(c.Field)
		k.field, k.badField = p, err != nil
	}
	return k
}

// holds reports whether k holds for doc. A nil condition holds.
func (k *condition) holds(doc any) bool {
	switch {
	case k == nil:
		return true
	case k.Not != nil:
		return !k.not.holds(doc)
	case k.AllOf != nil:
		for _, sub := range k.allOf {
			if !sub.holds(doc) {
				return false
			}
		}
		return true
	case k.AnyOf != nil:
		for _, sub := range k.anyOf {
			if sub.holds(doc) {
				return true
			}
		}
		return false
	case k.badField:
		return false
	}
	if k.Present != nil {
		found := k.field.each(doc, func(any) bool { return true })
		return found == *k.Present
	}
	return k.field.each(doc, func(v any) bool {
		if k.Equals != nil && jsonEqual(v, k.Equals) {
			return true
		}
		for _, want := range k.In {
			if jsonEqual(v, want) {
				return true
			}
		}
		return false
	})
}

// decide is holds when some values are refused: whether k holds for doc,
// and whether that is sure. A field with "*" holds if any value holds,
// which a refused value cannot (no template compares with one), so it is
// unsure only if none holds and one of its values, or what holds them, is
// refused. A refused value is still there, so presence is unsure only
// below one, or where a required value is missing. allOf is surely false
// if one of them is; anyOf surely true if one of them is.
func (k *condition) decide(doc any, refused []refusal) (holds, sure bool) {
	switch {
	case k == nil:
		return true, true
	case k.Not != nil:
		h, sure := k.not.decide(doc, refused)
		return !h, sure
	case k.AllOf != nil:
		sure = true
		for _, sub := range k.allOf {
			h, s := sub.decide(doc, refused)
			if s && !h {
				return false, true
			}
			sure = sure && s
		}
		return sure, sure
	case k.AnyOf != nil:
		sure = true
		for _, sub := range k.anyOf {
			h, s := sub.decide(doc, refused)
			if s && h {
				return true, true
			}
			sure = sure && s
		}
		return false, sure
	case k.badField:
		return false, true
	}
	below := 0 // how far below the field a refused value must be
	var h bool
	if k.Present != nil {
		found := k.field.each(doc, func(any) bool { return true })
		if h = found == *k.Present; found {
			return h, true // a value is there, refused or not
		}
		below = 1
	} else if h = k.holds(doc); h {
		return true, true
	}
	for _, r := range refused {
		// Presence is unsure below a refused value, or where a required
		// one is missing.
		if (len(r.at)+below <= len(k.field) || r.missing && len(r.at) == len(k.field)) && matchesPrefix(k.field, r.at) {
			return h, false
		}
	}
	return h, true
}

// matchesPrefix reports whether p names the first len(p) tokens of
// pattern, where "*" in pattern stands for any token.
func matchesPrefix(pattern, p Pointer) bool {
	for i, t := range p {
		if pattern[i] != "*" && pattern[i] != t {
			return false
		}
	}
	return true
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

// WholeNumber returns the integer a JSON number stands for, if it is a
// whole one however written: 5, 5.0 and 5e0 are the same JSON number, as
// a submission's answers read them, so an integer parameter in a JSON body
// (a page's limit, a case's gap) takes each; 5.5 and numbers beyond 2^53,
// where a float64 no longer tells whole from not, are not.
func WholeNumber(v any) (int, bool) {
	f, ok := number(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int(f), true
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

// apply runs the rule on doc when its condition holds, reporting to rp;
// today is the signing day (zero if unknown). A condition that a refused
// value leaves undecided is not applied: a flag sent as "ja" is one
// problem, not also its reason's "not allowed" (reporter.refused).
func (r *rule) apply(doc any, today Date, rp *reporter) {
	if holds, sure := rp.decide(r.when, doc); !holds || !sure {
		return
	}
	rp.rule = r
	r.kind.apply(r, doc, today, rp)
}

// applyPresence reports required fields that are missing and forbidden
// ones that are present, where their parent object exists (a missing
// parent is its own problem).
func applyPresence(r *rule, doc any, _ Date, rp *reporter) {
	for j, p := range r.fields {
		obj, ok := p.Parent(doc)
		if !ok {
			continue
		}
		_, present := obj[p.Last()]
		switch {
		case r.Rule.Rule == "required" && !present && !excused(r.forbiddenWhen[j], doc, rp):
			rp.report(p.String(), "required", nil)
		case r.Rule.Rule == "forbidden" && present:
			rp.report(p.String(), "notAllowed", nil)
		}
	}
}

// excused reports whether a required field need not be given: one of
// forbidden, the conditions under which another rule forbids it, holds,
// or a refused value leaves one of them undecided.
func excused(forbidden []*condition, doc any, rp *reporter) bool {
	for _, k := range forbidden {
		if holds, sure := rp.decide(k, doc); holds || !sure {
			return true
		}
	}
	return false
}

// applyUnique reports a repeated item (or item[key]) at the later one.
func applyUnique(r *rule, doc any, _ Date, rp *reporter) {
	for _, m := range r.fields[0].Resolve(doc) {
		items, _ := m.Value.([]any)
		var seen []any
		for i, it := range items {
			if r.Key != "" {
				obj, _ := it.(map[string]any)
				it = obj[r.Key]
			}
			if it == nil {
				continue
			}
			for _, s := range seen {
				if jsonEqual(s, it) {
					ptr := JoinIndex(m.Pointer(), i)
					if r.Key != "" {
						ptr = JoinPointer(ptr, r.Key)
					}
					rp.report(ptr, "duplicate", nil)
					break
				}
			}
			seen = append(seen, it)
		}
	}
}

// applyDateLimit reports dates outside minDays..maxDays of the signing day.
func applyDateLimit(r *rule, doc any, today Date, rp *reporter) {
	if today.IsZero() {
		return
	}
	for _, m := range r.fields[0].Resolve(doc) {
		d, ok := dateValue(m.Value)
		switch {
		case !ok:
		case r.MaxDays != nil && d.After(today.AddDays(*r.MaxDays).Time):
			rp.report(m.Pointer(), "dateInFuture", *r.MaxDays)
		case r.MinDays != nil && d.Before(today.AddDays(*r.MinDays).Time):
			rp.report(m.Pointer(), "dateTooEarly", -*r.MinDays)
		}
	}
}

// applyDateOrder reports items whose "to" is before their "from".
func applyDateOrder(r *rule, doc any, _ Date, rp *reporter) {
	for _, m := range r.fields[0].Resolve(doc) {
		for _, x := range dateRanges(m, r.From, r.To) {
			if x.to.Before(x.from.Time) {
				rp.report(JoinPointer(JoinIndex(m.Pointer(), x.index), r.To), "dateBeforeStart", nil)
			}
		}
	}
}

// applyNoOverlap reports items whose ranges share a day with an earlier one.
func applyNoOverlap(r *rule, doc any, _ Date, rp *reporter) {
	for _, m := range r.fields[0].Resolve(doc) {
		ranges := dateRanges(m, r.From, r.To)
		for _, i := range overlapping(ranges) {
			rp.report(JoinPointer(JoinIndex(m.Pointer(), ranges[i].index), r.From), "overlap", nil)
		}
	}
}

// applyCodeList reports codes missing from the list, or shorter than the
// list's minimum for their prefix.
func applyCodeList(r *rule, doc any, _ Date, rp *reporter) {
	for _, m := range r.fields[0].Resolve(doc) {
		s, ok := m.Value.(string)
		if !ok {
			continue
		}
		bare := bareCode(s)
		if _, _, found := r.list.Lookup(bare); !found || !codeShape(bare) {
			rp.report(m.Pointer(), "unknownCode", r.list.Title)
			continue
		}
		for _, pl := range r.MinLength {
			if strings.HasPrefix(bare, pl.Prefix) && len(bare) < pl.Length {
				rp.report(m.Pointer(), "codeTooShort", pl.Length)
				break
			}
		}
	}
}

// applyDateNotAfter reports dates later than the earliest of the dates at
// "than" whose holding object meets "where"; the limit fills the message.
func applyDateNotAfter(r *rule, doc any, _ Date, rp *reporter) {
	than := r.than
	var (
		limit Date
		found bool // a limit was found: 0001-01-01 is a date, not "none"
	)
	than[:len(than)-1].each(doc, func(v any) bool {
		obj, ok := v.(map[string]any)
		if !ok || !r.where.holds(obj) {
			return false
		}
		if d, ok := dateValue(obj[than.Last()]); ok && (!found || d.Before(limit.Time)) {
			limit, found = d, true
		}
		return false
	})
	if !found {
		return
	}
	for _, m := range r.fields[0].Resolve(doc) {
		if d, ok := dateValue(m.Value); ok && d.After(limit.Time) {
			rp.report(m.Pointer(), "dateAfter", limit.Format(time.DateOnly))
		}
	}
}

// dateRange is one array item's valid [from, to] range.
type dateRange struct {
	index    int
	from, to Date
}

// dateRanges returns the items of an array whose from and to are both valid dates.
func dateRanges(m Match, from, to string) []dateRange {
	items, _ := m.Value.([]any)
	var out []dateRange
	for i, it := range items {
		obj, _ := it.(map[string]any)
		f, ok1 := dateValue(obj[from])
		t, ok2 := dateValue(obj[to])
		if ok1 && ok2 {
			out = append(out, dateRange{i, f, t})
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
	return validDate(s) // a date the schema refuses is no date for a rule either
}
