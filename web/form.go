package web

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// The physician form posts url.Values named by dotted paths:
// "patient.id", "issuer.unit.city", and for answers "answers.<field>"
// plus widget-specific suffixes (".<option>.date", ".<n>.code",
// ".<degree>.from", ".text", ".<area>.text", ".<n>.<sub>"). formDocument
// turns them into the certificate document the API takes, so that the form
// and the API run the same intake.

// envelopeField is one patient input of the form: its dotted name and
// its label.
type envelopeField struct{ Name, Label string }

// envelopeFields are the patient inputs, in form order. The issuer is not
// typed: it comes from the signed-in physician's record (issuerOf).
var envelopeFields = []envelopeField{
	{"patient.id", "Personnummer eller samordningsnummer"},
	{"patient.name", "Patientens namn"},
}

// issuerOf is the envelope's issuer block for a physician signing at a
// unit: their name, HSA-id, signing role, prescriber code and
// specialities, the unit's address block and its care provider.
func issuerOf(u *intake.User, unit *intake.CareUnit) map[string]any {
	is := map[string]any{
		"hsaId": u.HSAID, "name": u.Name, "role": u.SigningRole,
		"unit": map[string]any{
			"hsaId": unit.HSAID, "name": unit.Name, "address": unit.Address, "postalCode": unit.PostalCode,
			"city": unit.City, "phone": unit.Phone,
		},
		"careProvider": map[string]any{"hsaId": unit.CareProvider.HSAID, "name": unit.CareProvider.Name},
	}
	if u.PrescriberCode != "" {
		is["prescriberCode"] = u.PrescriberCode
	}
	if len(u.Specialities) > 0 {
		var sp []any
		for _, s := range u.Specialities {
			sp = append(sp, s)
		}
		is["specialities"] = sp
	}
	if unit.WorkplaceCode != "" {
		is["unit"].(map[string]any)["workplaceCode"] = unit.WorkplaceCode
	}
	return is
}

// formDocument builds the submission from posted form values and the
// issuer block. Answers of questions whose condition does not hold are
// left out: the form hid them.
func formDocument(t *schemas.Template, v url.Values, issuer map[string]any, signedAt string) map[string]any {
	v = lineFeeds(v) // readForm's already are; a draft saved before it may not be
	// The patient is always there, if empty, so that a missing id or name
	// is refused at its own input rather than at the patient as a whole.
	doc := map[string]any{"template": t.ID, "version": t.Version, "signedAt": signedAt, "issuer": issuer, "patient": map[string]any{}}
	for _, f := range envelopeFields {
		if s := strings.TrimSpace(v.Get(f.Name)); s != "" {
			setPath(doc, strings.Split(f.Name, "."), s)
		}
	}
	answers := map[string]any{}
	for _, q := range t.Form.Questions() {
		if a, ok := formAnswer(q, v); ok {
			answers[q.Field] = a
		}
	}
	doc["answers"] = answers
	// A replacement, completion or renewal carries its relation.
	if typ, id := relationValues(v); typ != "" || id != "" {
		doc["relation"] = map[string]any{"type": string(typ), "certificate": id}
	}
	// Drop hidden answers until stable: hiding one may hide another.
	for changed := true; changed; {
		changed = false
		for _, q := range t.Form.Questions() {
			if _, ok := answers[q.Field]; ok && !intake.Holds(q.DependsOn, doc) {
				delete(answers, q.Field)
				changed = true
			}
		}
	}
	return doc
}

// lineFeeds returns v with each line break a line feed. A browser posts
// a text area's line breaks as CR LF, and the page counts them, as a
// text area's maxlength does, as one character each: so do intake and
// the certificate page's forms then (a message, an answer, a
// revocation), and the text is stored as an API client sends it.
func lineFeeds(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = make([]string, len(vs))
		for i, s := range vs {
			out[k][i] = strings.ReplaceAll(s, "\r\n", "\n")
		}
	}
	return out
}

// relationValues are the relation the form values v carry (relation.type
// and relation.certificate): what a replacement, completion or renewal
// relates to.
func relationValues(v url.Values) (intake.RelationType, string) {
	return intake.RelationType(v.Get("relation.type")), v.Get("relation.certificate")
}

// draftRelation is the relation draft d's form carries.
func draftRelation(d *intake.Draft) (intake.RelationType, string) {
	v, _ := url.ParseQuery(d.Form)
	return relationValues(v)
}

func setPath(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// formAnswer reads one question's inputs; false when nothing was given.
func formAnswer(q schemas.Question, v url.Values) (any, bool) {
	name := "answers." + q.Field
	get := func(suffix string) string { return strings.TrimSpace(v.Get(name + suffix)) }
	switch q.Widget {
	case schemas.WidgetCheckbox:
		return true, get("") == "true"
	case schemas.WidgetYesNo:
		switch get("") {
		case "true":
			return true, true
		case "false":
			return false, true
		}
		return nil, false
	case schemas.WidgetInteger:
		s := get("")
		if n, err := strconv.Atoi(s); err == nil {
			return json.Number(strconv.Itoa(n)), true
		}
		return s, s != "" // not a number: let intake say so
	case schemas.WidgetRadio:
		s := get("")
		return optionValue(q.Options, s), s != ""
	case schemas.WidgetCheckboxGroup, schemas.WidgetCheckboxDates, schemas.WidgetAreaTexts, schemas.WidgetPeriods,
		schemas.WidgetDiagnoses, schemas.WidgetGroup:
		out, _ := formList(q, v)
		return out, len(out) > 0
	case schemas.WidgetTextWithCodes:
		text := get("." + schemas.ItemText)
		codes := strings.FieldsFunc(get("."+schemas.ItemICF), func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
		if text == "" && len(codes) == 0 {
			return nil, false
		}
		m := map[string]any{}
		if text != "" {
			m[schemas.ItemText] = text
		}
		if len(codes) > 0 {
			var list []any
			for _, c := range codes {
				list = append(list, c)
			}
			m[schemas.ItemICF] = list
		}
		return m, true
	case schemas.WidgetText, schemas.WidgetTextarea, schemas.WidgetDate:
		s := get("")
		return s, s != ""
	}
	panic("web: widget " + string(q.Widget) + " has no form decoding") // schemas.Load refuses unknown widgets
}

// formList is the answer of a list widget's question q in form values v,
// and the form's key of each item: the option of a checkbox group, dates,
// area texts or periods widget, the row of a diagnoses or group widget
// (the rows with something in them are its items).
func formList(q schemas.Question, v url.Values) (items []any, keys []string) {
	name := "answers." + q.Field
	get := func(suffix string) string { return strings.TrimSpace(v.Get(name + suffix)) }
	kind, _ := q.Widget.Kind()
	add := func(item any, key string) { items, keys = append(items, item), append(keys, key) }
	switch q.Widget {
	case schemas.WidgetCheckboxGroup:
		for _, s := range v[name] {
			add(s, s)
		}
	case schemas.WidgetCheckboxDates, schemas.WidgetAreaTexts:
		// One item per ticked option: {option key: value, detail: input}.
		for _, o := range q.Options {
			code := optionString(o.Value)
			if !slices.Contains(v[name], code) {
				continue
			}
			item := map[string]any{kind.OptionKey: code}
			if s := get("." + code + "." + kind.Detail); s != "" {
				item[kind.Detail] = s
			}
			add(item, code)
		}
	case schemas.WidgetPeriods:
		// One row per option; a row with a date is a period.
		for _, o := range q.Options {
			opt := optionString(o.Value)
			item := map[string]any{kind.OptionKey: o.Value}
			for _, f := range kind.Items {
				if s := get("." + opt + "." + f); s != "" {
					item[f] = s
				}
			}
			if len(item) > 1 {
				add(item, opt)
			}
		}
	case schemas.WidgetDiagnoses, schemas.WidgetGroup:
		for i := 0; i < max(q.MaxItems, 1); i++ {
			item := map[string]any{}
			for _, sub := range q.Items {
				if s := get("." + strconv.Itoa(i) + "." + sub.Field); s != "" {
					item[sub.Field] = s
				}
			}
			if len(item) > 0 {
				add(item, strconv.Itoa(i))
			}
		}
	}
	return items, keys
}

// problemInputs returns the inputs of question q that a problem points at,
// rest being its pointer after /answers/<field>, as AttrsFor names them: a
// text input by its name, a box among others by name=value. nil means
// every input of the question (or a part the form does not show apart).
func problemInputs(q schemas.Question, v url.Values, rest []string) []string {
	name := "answers." + q.Field
	if len(rest) == 0 {
		return questionInputs(q)
	}
	if q.Widget == schemas.WidgetTextWithCodes {
		return []string{name + "." + rest[0]} // its text, or its codes
	}
	i, ok := intake.Index(rest[0])
	if !ok {
		return nil
	}
	_, keys := formList(q, v)
	if i >= len(keys) {
		return nil
	}
	key, member := keys[i], ""
	if len(rest) > 1 {
		member = rest[1]
	}
	kind, _ := q.Widget.Kind()
	var parts []string // the item's inputs beside its box, by member
	switch q.Widget {
	case schemas.WidgetCheckboxGroup:
		return []string{name + "=" + key}
	case schemas.WidgetCheckboxDates, schemas.WidgetAreaTexts:
		parts = []string{kind.Detail}
	case schemas.WidgetPeriods:
		parts = kind.Items
	case schemas.WidgetDiagnoses, schemas.WidgetGroup:
		for _, sub := range q.Items {
			parts = append(parts, sub.Field)
		}
	default:
		return nil
	}
	var inputs []string
	if kind.Detail != "" && (member == "" || member == kind.OptionKey) {
		inputs = append(inputs, name+"="+key)
	}
	for _, m := range parts {
		if member == "" || member == m || (member == kind.OptionKey && q.Widget == schemas.WidgetPeriods) {
			inputs = append(inputs, name+"."+key+"."+m)
		}
	}
	return inputs
}

// questionInputs are the inputs of question q that a problem at the
// question itself (missing altogether) points at: those its answer needs
// first, not what goes with an option nobody chose. A list's first item,
// every member of which its schema requires, not the rows offered beyond;
// the boxes of options with a date or text each, not the details; a
// description, not its optional codes; the periods' first row's start,
// their first input (a row's degree is its header, not an input: a date
// in the row chooses it), not every date. nil: every input (boxes or
// radios to choose from, or the one input).
func questionInputs(q schemas.Question) []string {
	name := "answers." + q.Field
	var inputs []string
	switch q.Widget {
	case schemas.WidgetDiagnoses, schemas.WidgetGroup:
		for _, sub := range q.Items {
			inputs = append(inputs, name+".0."+sub.Field)
		}
	case schemas.WidgetCheckboxDates, schemas.WidgetAreaTexts:
		for _, o := range q.Options {
			inputs = append(inputs, name+"="+optionString(o.Value))
		}
	case schemas.WidgetTextWithCodes:
		inputs = []string{name + "." + schemas.ItemText}
	case schemas.WidgetPeriods:
		inputs = []string{name + "." + optionString(q.Options[0].Value) + "." + schemas.ItemFrom}
	}
	return inputs
}

// formValues is formDocument the other way: the form's inputs that give
// a submission's patient and answers (those of t's questions), so that a
// replacement, completion or renewal opens the form pre-filled.
func formValues(t *schemas.Template, doc map[string]any) url.Values {
	v := url.Values{}
	text := func(x any) string {
		if s, ok := x.(string); ok {
			return s
		}
		return optionString(x)
	}
	if p, ok := doc["patient"].(map[string]any); ok {
		for _, f := range envelopeFields {
			if s, ok := p[strings.TrimPrefix(f.Name, "patient.")].(string); ok {
				v.Set(f.Name, s)
			}
		}
	}
	answers, _ := doc["answers"].(map[string]any)
	for _, q := range t.Form.Questions() {
		a, ok := answers[q.Field]
		if !ok {
			continue
		}
		name := "answers." + q.Field
		kind, _ := q.Widget.Kind()
		items, _ := a.([]any)
		switch q.Widget {
		case schemas.WidgetCheckbox, schemas.WidgetYesNo, schemas.WidgetInteger, schemas.WidgetRadio,
			schemas.WidgetText, schemas.WidgetTextarea, schemas.WidgetDate:
			v.Set(name, text(a))
		case schemas.WidgetCheckboxGroup:
			for _, x := range items {
				v.Add(name, text(x))
			}
		case schemas.WidgetCheckboxDates, schemas.WidgetAreaTexts:
			for _, x := range items {
				item, _ := x.(map[string]any)
				code := text(item[kind.OptionKey])
				v.Add(name, code)
				if d, ok := item[kind.Detail]; ok {
					v.Set(name+"."+code+"."+kind.Detail, text(d))
				}
			}
		case schemas.WidgetPeriods:
			for _, x := range items {
				item, _ := x.(map[string]any)
				opt := text(item[kind.OptionKey])
				for _, f := range kind.Items {
					if d, ok := item[f]; ok {
						v.Set(name+"."+opt+"."+f, text(d))
					}
				}
			}
		case schemas.WidgetTextWithCodes:
			m, _ := a.(map[string]any)
			if s, ok := m[schemas.ItemText]; ok {
				v.Set(name+"."+schemas.ItemText, text(s))
			}
			if codes, ok := m[schemas.ItemICF].([]any); ok {
				var cs []string
				for _, c := range codes {
					cs = append(cs, text(c))
				}
				v.Set(name+"."+schemas.ItemICF, strings.Join(cs, ", "))
			}
		case schemas.WidgetDiagnoses, schemas.WidgetGroup:
			for i, x := range items {
				item, _ := x.(map[string]any)
				for _, sub := range q.Items {
					if d, ok := item[sub.Field]; ok {
						v.Set(name+"."+strconv.Itoa(i)+"."+sub.Field, text(d))
					}
				}
			}
		}
	}
	return v
}

// optionValue returns the option whose value prints as s (numbers stay numbers).
func optionValue(opts []schemas.Option, s string) any {
	for _, o := range opts {
		if optionString(o.Value) == s {
			return o.Value
		}
	}
	return s
}

func optionString(v any) string {
	switch v := v.(type) {
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number: // 100.0 and 1e2 in a record stored before intake wrote numbers in one form
		if f, err := v.Float64(); err == nil {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		return v.String()
	case string:
		return v
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// problemField returns the form field a problem belongs to: the answers
// field ("answers.prognosis") or the envelope input ("patient.id").
func problemField(pointer string) string {
	p, _ := intake.ParsePointer(pointer)
	if len(p) > 1 && p[0] == "answers" {
		return "answers." + p[1]
	}
	return strings.Join(p, ".")
}

// problemItem names the item of a list answer that a problem points into,
// so that the message next to the question says which one: the option's
// label ("Annat: …"), or its row ("Rad 2: …", the form's row, whichever
// rows were left empty). v are the form values the answer came from.
func problemItem(t *schemas.Template, v url.Values, pointer string) string {
	q, i, p, ok := listItem(t, pointer)
	if !ok {
		return ""
	}
	_, keys := formList(q, v)
	if i >= len(keys) {
		return ""
	}
	row, _ := strconv.Atoi(keys[i]) // a row's key is its form row
	return itemName(q, row, keys[i]) + itemPart(q, p)
}

// answerItem names the item of a stored list answer that a warning (at
// pointer) points into, from the item itself, as problemItem names a
// form's: its option's label, or its row. A stored answer keeps the order
// it was sent in, which need not be the form's.
func answerItem(t *schemas.Template, answers map[string]any, pointer string) string {
	q, i, p, ok := listItem(t, pointer)
	items, _ := answers[q.Field].([]any)
	if !ok || i >= len(items) {
		return ""
	}
	v := items[i]
	if m, isMap := v.(map[string]any); isMap {
		kind, _ := q.Widget.Kind()
		v = m[kind.OptionKey]
	}
	return itemName(q, i, optionString(v)) + itemPart(q, p)
}

// listItem finds the item of a list answer that pointer points into: its
// question, its index and the pointer's parts; false for any other pointer.
func listItem(t *schemas.Template, pointer string) (schemas.Question, int, []string, bool) {
	p, _ := intake.ParsePointer(pointer)
	if len(p) < 3 || p[0] != "answers" {
		return schemas.Question{}, 0, nil, false
	}
	i, ok := intake.Index(p[2])
	q, found := t.Form.Question(p[1])
	return q, i, p, ok && found
}

// itemName is a list answer's item as the pages name it: a diagnosis or a
// group's row by its number (row from 0), as the form's legends do, and
// any other by its option's label (option as the form's key).
func itemName(q schemas.Question, row int, option string) string {
	switch q.Widget {
	case schemas.WidgetDiagnoses:
		return intake.Text("form.diagnosis", "sv", row+1)
	case schemas.WidgetGroup:
		return intake.Text("form.row", "sv", row+1)
	}
	for _, o := range q.Options {
		if optionString(o.Value) == option {
			return o.Label.SV
		}
	}
	return option
}

// itemPart is ", " and the part of a list item a problem at p points to,
// when it is one of the item's members ("Helt nedsatt, från och med").
func itemPart(q schemas.Question, p []string) string {
	if len(p) < 4 {
		return ""
	}
	for _, sub := range q.Items {
		if sub.Field == p[3] {
			return ", " + lowerFirst(sub.Label.SV)
		}
	}
	if key, ok := itemParts[p[3]]; ok {
		return ", " + intake.Text(key, "sv")
	}
	return ""
}

// itemParts are the catalogue's words for the members of the widgets'
// items that have no label of their own in the template.
var itemParts = map[string]string{
	schemas.ItemDate: "form.item.date", schemas.ItemText: "form.item.text", schemas.ItemFrom: "form.item.from", schemas.ItemTo: "form.item.to",
}

// lowerFirst is s with its first letter in lower case: a label inside a
// sentence.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[size:]
}

// untickedDetails returns a problem for each detail (a date, a text)
// entered beside an option that is not ticked, in the questions the form
// shows: formDocument leaves such a detail out, and the physician must
// not lose it without a word.
func untickedDetails(t *schemas.Template, v url.Values, doc map[string]any) intake.Problems {
	var ps intake.Problems
	for _, q := range t.Form.Questions() {
		if q.Widget != schemas.WidgetCheckboxDates && q.Widget != schemas.WidgetAreaTexts || !intake.Holds(q.DependsOn, doc) {
			continue
		}
		kind, _ := q.Widget.Kind()
		name := "answers." + q.Field
		for _, o := range q.Options {
			code := optionString(o.Value)
			if !slices.Contains(v[name], code) && strings.TrimSpace(v.Get(name+"."+code+"."+kind.Detail)) != "" {
				ps = append(ps, intake.NewProblem("/answers/"+q.Field, "notAllowed", "form.untickedDetail", o.Label.SV))
			}
		}
	}
	return ps
}

// formIntake runs the intake of a form's document doc (body, its JSON)
// with the form's own check of what it would leave out (untickedDetails):
// an EINVALID error lists both.
func formIntake(eng *intake.Engine, t *schemas.Template, v url.Values, doc map[string]any, body []byte, now time.Time) (*intake.Certificate, error) {
	cert, err := eng.Intake(body, now)
	if extra := untickedDetails(t, v, doc); len(extra) > 0 && (err == nil || intake.ErrorCode(err) == intake.EINVALID) {
		return nil, intake.Failure(intake.EINVALID, "invalid.certificate").WithProblems(append(intake.ErrorProblems(err), extra...))
	}
	return cert, err
}
