package web

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// The physician form posts url.Values named by dotted paths:
// "patient.id", "issuer.unit.city", and for answers "answers.<field>"
// plus widget-specific suffixes (".<option>.date", ".<n>.code",
// ".<degree>.from", ".text", ".<area>.text", ".<n>.<sub>"). formDocument
// turns them into the certificate document the API takes, so that the form
// and the API run the same intake.

// envelopeFields are the envelope inputs, in form order.
var envelopeFields = []struct{ Name, Label, Kind string }{
	{"patient.id", "Personnummer eller samordningsnummer", "text"},
	{"patient.name", "Patientens namn", "text"},
	{"issuer.name", "Ditt namn", "text"},
	{"issuer.hsaId", "Ditt HSA-id", "text"},
	{"issuer.role", "Yrkesroll", "role"},
	{"issuer.prescriberCode", "Förskrivarkod (frivillig)", "text"},
	{"issuer.unit.name", "Vårdenhet", "text"},
	{"issuer.unit.address", "Postadress", "text"},
	{"issuer.unit.postalCode", "Postnummer", "text"},
	{"issuer.unit.city", "Postort", "text"},
	{"issuer.unit.phone", "Telefon", "text"},
}

// formDocument builds the submission from posted form values. Answers of
// questions whose condition does not hold are left out: the form hid them.
func formDocument(t *schemas.Template, v url.Values, unitHSAID, signedAt string) map[string]any {
	doc := map[string]any{"template": t.ID, "version": t.Version, "signedAt": signedAt}
	for _, f := range envelopeFields {
		if s := strings.TrimSpace(v.Get(f.Name)); s != "" {
			setPath(doc, strings.Split(f.Name, "."), s)
		}
	}
	setPath(doc, []string{"issuer", "unit", "hsaId"}, unitHSAID)
	answers := map[string]any{}
	for _, q := range t.Form.Questions() {
		if a, ok := formAnswer(q, v); ok {
			answers[q.Field] = a
		}
	}
	doc["answers"] = answers
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
	case "checkbox":
		return true, get("") == "true"
	case "yesNo":
		switch get("") {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	case "integer":
		s := get("")
		if n, err := strconv.Atoi(s); err == nil {
			return json.Number(strconv.Itoa(n)), true
		}
		return s, s != "" // not a number: let intake say so
	case "radio":
		s := get("")
		return optionValue(q.Options, s), s != ""
	case "checkboxGroup":
		var out []any
		for _, s := range v[name] {
			out = append(out, s)
		}
		return out, len(out) > 0
	case "checkboxDates", "areaTexts":
		key, sub := "type", "date"
		if q.Widget == "areaTexts" {
			key, sub = "area", "text"
		}
		var out []any
		for _, o := range q.Options {
			code := optionString(o.Value)
			if !slices.Contains(v[name], code) {
				continue
			}
			item := map[string]any{key: code}
			if s := get("." + code + "." + sub); s != "" {
				item[sub] = s
			}
			out = append(out, item)
		}
		return out, len(out) > 0
	case "periods":
		var out []any
		for _, o := range q.Options {
			deg := optionString(o.Value)
			from, to := get("."+deg+".from"), get("."+deg+".to")
			if from == "" && to == "" {
				continue
			}
			item := map[string]any{"degree": o.Value}
			if from != "" {
				item["from"] = from
			}
			if to != "" {
				item["to"] = to
			}
			out = append(out, item)
		}
		return out, len(out) > 0
	case "textWithCodes":
		text := get(".text")
		if text == "" && get(".icf") == "" {
			return nil, false
		}
		m := map[string]any{}
		if text != "" {
			m["text"] = text
		}
		if codes := strings.FieldsFunc(get(".icf"), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }); len(codes) > 0 {
			var list []any
			for _, c := range codes {
				list = append(list, c)
			}
			m["icf"] = list
		}
		return m, true
	case "diagnoses", "group":
		var out []any
		for i := 0; i < max(q.MaxItems, 1); i++ {
			item := map[string]any{}
			for _, sub := range q.Items {
				if s := get("." + strconv.Itoa(i) + "." + sub.Field); s != "" {
					item[sub.Field] = s
				}
			}
			if len(item) > 0 {
				out = append(out, item)
			}
		}
		return out, len(out) > 0
	default: // text, textarea, date
		s := get("")
		return s, s != ""
	}
	return nil, false
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
	case string:
		return v
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// problemField returns the form field a problem belongs to: the answers
// field ("prognosis") or the envelope input ("patient.id").
func problemField(pointer string) string {
	toks := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	if toks[0] == "answers" && len(toks) > 1 {
		return "answers." + toks[1]
	}
	return strings.Join(toks, ".")
}

// problemItem names the item of a list answer that a problem points into,
// so that the message next to the question says which one: the option's
// label ("Annat: …"), or its row ("Rad 2: …").
func problemItem(t *schemas.Template, doc map[string]any, pointer string) string {
	toks := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	if len(toks) < 3 || toks[0] != "answers" {
		return ""
	}
	i, err := strconv.Atoi(toks[2])
	if err != nil {
		return ""
	}
	answers, _ := doc["answers"].(map[string]any)
	items, _ := answers[toks[1]].([]any)
	if i < 0 || i >= len(items) {
		return ""
	}
	for _, q := range t.Form.Questions() {
		if q.Field != toks[1] {
			continue
		}
		item, _ := items[i].(map[string]any)
		for _, key := range []string{"type", "area", "degree"} {
			for _, o := range q.Options {
				if item[key] != nil && optionString(item[key]) == optionString(o.Value) {
					return o.Label.SV
				}
			}
		}
	}
	return "Rad " + strconv.Itoa(i+1)
}
