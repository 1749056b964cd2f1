package intake

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/intyg/intyg/schemas"
)

// This file checks, when the engine is built, that what a template's rules
// and form name is a place its JSON Schema declares, in the shape the schema
// gives it. A rule or condition whose pointer names nothing never matches,
// so a typo in a template would silently switch a check off; a widget that
// does not fit its field would make the form send what the schema refuses.

// schemaTree is a template's JSON Schema, decoded for these checks.
type schemaTree struct {
	root map[string]any
}

func newSchemaTree(raw []byte) (schemaTree, error) {
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		return schemaTree{}, err
	}
	return schemaTree{root: root}, nil
}

// at returns the subschema of node that describes the value at p: a member
// name steps into "properties", and "*" or an array index into "items",
// following local $refs ("#/$defs/…") as the templates use them. ok is
// false when the schema declares no such place.
func (s schemaTree) at(node map[string]any, p Pointer) (map[string]any, bool) {
	node = s.resolve(node)
	for _, tok := range p {
		props, _ := node["properties"].(map[string]any)
		next, found := props[tok]
		if _, isIndex := Index(tok); !found && (tok == "*" || isIndex) {
			next, found = node["items"]
		}
		m, ok := next.(map[string]any)
		if !found || !ok {
			return nil, false
		}
		node = s.resolve(m)
	}
	return node, true
}

// resolve follows node's local $ref, if it has one (schemas.ResolveRef).
func (s schemaTree) resolve(node map[string]any) map[string]any {
	return schemas.ResolveRef(s.root, node)
}

// checkPointer reports pointer s, relative to node, that names no place in
// the schema.
func (s schemaTree) checkPointer(node map[string]any, ptr string) error {
	p, err := ParsePointer(ptr)
	if err != nil {
		return err
	}
	if _, ok := s.at(node, p); !ok {
		return fmt.Errorf("pointer %s names nothing in the schema", ptr)
	}
	return nil
}

// checkCondition reports a pointer of condition c, relative to node, that
// names no place in the schema.
func (s schemaTree) checkCondition(node map[string]any, c *schemas.Condition) error {
	if c == nil {
		return nil
	}
	if c.Field != "" {
		if err := s.checkPointer(node, c.Field); err != nil {
			return err
		}
	}
	for _, sub := range slices.Concat([]*schemas.Condition{c.Not}, c.AllOf, c.AnyOf) {
		if err := s.checkCondition(node, sub); err != nil {
			return err
		}
	}
	return nil
}

// checkRule reports a place rule r names that the schema does not declare:
// its field and fields; key, from and to, members of its field's items; than;
// its when condition, on the document, and its where condition, on the
// object that holds than. compileRule has checked that the pointers parse.
func (s schemaTree) checkRule(r schemas.Rule) error {
	ptrs := slices.Clone(r.Fields)
	if r.Field != "" {
		ptrs = append(ptrs, r.Field)
	}
	for _, member := range []string{r.Key, r.From, r.To} {
		if member != "" {
			ptrs = append(ptrs, JoinPointer(JoinPointer(r.Field, "*"), member))
		}
	}
	if r.Than != "" {
		ptrs = append(ptrs, r.Than)
	}
	for _, p := range ptrs {
		if err := s.checkPointer(s.root, p); err != nil {
			return err
		}
	}
	if err := s.checkCondition(s.root, r.When); err != nil {
		return fmt.Errorf("when: %w", err)
	}
	if r.Where != nil && r.Than != "" {
		than := MustParsePointer(r.Than)
		holder, _ := s.at(s.root, than[:len(than)-1])
		if err := s.checkCondition(holder, r.Where); err != nil {
			return fmt.Errorf("where (on the object holding %s): %w", r.Than, err)
		}
	}
	return nil
}

// checkQuestion reports where question q of the form and node, the schema of
// its answer, disagree: the widget's answer is of a type the schema does not
// admit, a member the widget's items fill is not declared, or an option is
// not in the schema's enum. It checks the items of a repeated widget as
// questions of their own; the items of other kinds are members whose shape
// the kind fixes (textWithCodes' icf is a list typed as text).
func (s schemaTree) checkQuestion(q schemas.Question, node map[string]any) error {
	kind, _ := q.Widget.Kind() // schemas.Load refused an unknown widget
	if !admits(node, kind.Answer) {
		return fmt.Errorf("widget %s gives %s, which the schema's type %s does not admit", q.Widget, kind.Answer, strings.Join(schemaTypes(node), " or "))
	}
	var item Pointer // the members of an item of a list, or of the answer itself
	if kind.Answer == schemas.ShapeArray {
		item = Pointer{"*"}
	}
	member := func(name string) Pointer { return append(slices.Clip(item), name) }
	for _, it := range q.Items {
		m, ok := s.at(node, member(it.Field))
		if !ok {
			return fmt.Errorf("item %s is not in the schema", it.Field)
		}
		if kind.Repeated {
			if err := s.checkQuestion(it, m); err != nil {
				return fmt.Errorf("item %s: %w", it.Field, err)
			}
		}
	}
	for _, name := range slices.Concat(kind.Items, []string{kind.OptionKey, kind.Detail}) {
		if _, ok := s.at(node, member(name)); name != "" && !ok {
			return fmt.Errorf("widget %s needs member %s, which the schema does not declare", q.Widget, name)
		}
	}
	if len(q.Options) == 0 {
		return nil
	}
	options := item
	if kind.OptionKey != "" {
		options = member(kind.OptionKey)
	}
	enumNode, _ := s.at(node, options)
	enum, hasEnum := enumNode["enum"].([]any)
	for _, o := range q.Options {
		if hasEnum && !slices.ContainsFunc(enum, func(v any) bool { return reflect.DeepEqual(v, o.Value) }) {
			return fmt.Errorf("option %v is not in the schema's enum %v", o.Value, enum)
		}
	}
	return nil
}

// admits reports whether a subschema admits answers of shape: its type
// names the shape (a whole number is a number too) or, with no type, one of
// its enum or const values has it. A subschema that says neither admits
// anything.
func admits(node map[string]any, shape schemas.Shape) bool {
	types := schemaTypes(node)
	if len(types) == 0 {
		return true
	}
	return slices.Contains(types, string(shape)) || (shape == schemas.ShapeInteger && slices.Contains(types, "number"))
}

// schemaTypes returns the JSON types a subschema admits, from its type or else
// from the values of its enum or const; none when it says neither.
func schemaTypes(node map[string]any) []string {
	switch t := node["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	values, _ := node["enum"].([]any)
	if c, ok := node["const"]; ok {
		values = append(values, c)
	}
	var out []string
	for _, v := range values {
		var t schemas.Shape
		switch v := v.(type) {
		case string:
			t = schemas.ShapeString
		case bool:
			t = schemas.ShapeBoolean
		case float64:
			t = "number"
			if v == float64(int64(v)) {
				t = schemas.ShapeInteger
			}
		case []any:
			t = schemas.ShapeArray
		case map[string]any:
			t = schemas.ShapeObject
		default:
			t = "null"
		}
		if !slices.Contains(out, string(t)) {
			out = append(out, string(t))
		}
	}
	return out
}

// checkTemplate reports a place the template's form, employer copy, cases
// block and the questions' dependsOn conditions name that its schema does
// not declare, or declares in another shape. The rules are checked one by
// one (checkRule), so that their errors can name the rule.
func (s schemaTree) checkTemplate(t *schemas.Template) error {
	answers, ok := s.at(s.root, Pointer{"answers"})
	if !ok {
		return fmt.Errorf("the schema declares no answers")
	}
	for _, q := range t.Form.Questions() {
		name := fmt.Sprintf("question %s (field %s)", q.ID, q.Field)
		node, ok := s.at(answers, Pointer{q.Field})
		if !ok {
			return fmt.Errorf("%s: answers has no such property in the schema", name)
		}
		if err := s.checkQuestion(q, node); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := s.checkCondition(s.root, q.DependsOn); err != nil {
			return fmt.Errorf("%s: dependsOn: %w", name, err)
		}
	}
	if ec := t.EmployerCopy; ec != nil {
		for _, f := range ec.Fields {
			if _, ok := s.at(answers, Pointer{f}); !ok {
				return fmt.Errorf("employerCopy: field %s is not in the schema's answers", f)
			}
		}
	}
	if t.Cases != nil {
		if err := s.checkCondition(s.root, t.Cases.Exclude); err != nil {
			return fmt.Errorf("cases: exclude: %w", err)
		}
	}
	return nil
}
