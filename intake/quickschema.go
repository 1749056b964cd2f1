package intake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/bits"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The JSON Schema library stays the authority on a submission's schema
// problems, but it is slow for the common case of a valid submission: it
// copies every string it checks, turns every number into a big.Rat and walks
// every $ref per value. quickSchema is a template's schema compiled, when the
// template loads, into a plain Go check of exactly the keywords the
// templates use. It answers one question: does the library surely accept
// this document? Only when it cannot say yes does Validate run the library,
// which then produces the problems exactly as before; an accepted document
// never pays for the library.
//
// So the check must never say yes where the library says no. It says no
// (meaning "ask the library") for anything it does not decide exactly:
// numbers other than plain integers, date-times outside a strict form the
// library accepts, Go types a decoded document does not hold. A schema with a
// keyword it does not implement gets no quickSchema at all (the library
// always runs). TestQuickSchemaAgrees holds it to the library on every
// example, every hostile body and thousands of mutations of them, and
// FuzzQuickSchema on fuzzed documents.

// quickSchema is one compiled (sub)schema. Unset bounds are -1.
type quickSchema struct {
	// types is the set of JSON types allowed ("type"); 0 allows every type.
	types quickTypes
	// ref is the schema "$ref" names, applied beside the other keywords.
	ref *quickSchema
	// props are the "properties"; closed is "additionalProperties": false.
	props  map[string]*quickSchema
	closed bool
	// required lists the "required" member names.
	required []string
	// items applies to every array item.
	items                *quickSchema
	minItems, maxItems   int
	minLength, maxLength int
	// enum holds the allowed values ("enum" or "const"): strings, bools,
	// nil, and plain integers as quickInt; hasEnum tells an empty set from
	// none.
	enum    []any
	hasEnum bool
	// format accepts a string of the "format", when it surely passes.
	format  func(string) bool
	pattern *regexp.Regexp
	// minimum and maximum, when set, are integers.
	minimum, maximum *int64
}

// quickInt is an integer enum value: its canonical literal.
type quickInt string

// quickTypes is a set of JSON types.
type quickTypes uint8

const (
	typeNull quickTypes = 1 << iota
	typeBoolean
	typeObject
	typeArray
	typeNumber
	typeInteger
	typeString
)

var quickTypeNames = map[string]quickTypes{
	"null": typeNull, "boolean": typeBoolean, "object": typeObject, "array": typeArray,
	"number": typeNumber, "integer": typeInteger, "string": typeString,
}

// quickFormats are the formats quickSchema decides. se-personal-id is none
// of the library's formats and not registered (envelopeProblems checks the
// number), so the library ignores it, and so does quickSchema.
var quickFormats = map[string]func(string) bool{
	"date":           quickDate,
	"date-time":      quickDateTime,
	"hsa-id":         ValidHSAID,
	"se-postal-code": validPostalCode,
	"se-personal-id": nil,
}

// compileQuickSchema compiles a template's JSON Schema, or returns an error
// naming what quickSchema does not implement (the library then always runs).
func compileQuickSchema(raw []byte) (*quickSchema, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return nil, err
	}
	if s, ok := root["$schema"]; ok && s != "https://json-schema.org/draft/2020-12/schema" {
		return nil, fmt.Errorf("draft %v", s)
	}
	qc := &quickCompiler{defs: map[string]*quickSchema{}}
	defs, _ := root["$defs"].(map[string]any)
	for name := range defs {
		qc.defs[name] = &quickSchema{}
	}
	for name, d := range defs {
		if err := qc.compile(d, qc.defs[name], false); err != nil {
			return nil, fmt.Errorf("$defs/%s: %w", name, err)
		}
	}
	s := &quickSchema{}
	if err := qc.compile(root, s, true); err != nil {
		return nil, err
	}
	return s, nil
}

// quickCompiler holds the root's $defs, the only targets of "$ref".
type quickCompiler struct {
	defs map[string]*quickSchema
}

// compile fills s from the schema object v; only the root may hold
// $schema, $id and $defs.
func (qc *quickCompiler) compile(v any, s *quickSchema, root bool) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("schema %v is not an object", v)
	}
	*s = quickSchema{minItems: -1, maxItems: -1, minLength: -1, maxLength: -1}
	for k, x := range m {
		var err error
		switch k {
		case "$schema", "$id", "$defs":
			if !root {
				err = fmt.Errorf("%s below the root", k)
			}
		case "title", "description", "$comment":
		case "type":
			err = s.compileType(x)
		case "$ref":
			ref, _ := x.(string)
			name, ok := strings.CutPrefix(ref, "#/$defs/")
			if s.ref = qc.defs[name]; !ok || s.ref == nil || strings.ContainsAny(name, "/~%") {
				err = fmt.Errorf("$ref %v", x)
			}
		case "properties":
			props, _ := x.(map[string]any)
			s.props = map[string]*quickSchema{}
			for name, p := range props {
				s.props[name] = &quickSchema{}
				if err = qc.compile(p, s.props[name], false); err != nil {
					break
				}
			}
		case "additionalProperties":
			b, ok := x.(bool)
			if !ok {
				err = fmt.Errorf("additionalProperties %v", x)
			}
			s.closed = !b
		case "required":
			list, _ := x.([]any)
			for _, r := range list {
				name, ok := r.(string)
				if !ok {
					err = fmt.Errorf("required %v", x)
				}
				s.required = append(s.required, name)
			}
		case "items":
			s.items = &quickSchema{}
			err = qc.compile(x, s.items, false)
		case "minItems":
			s.minItems, err = quickCount(x)
		case "maxItems":
			s.maxItems, err = quickCount(x)
		case "minLength":
			s.minLength, err = quickCount(x)
		case "maxLength":
			s.maxLength, err = quickCount(x)
		case "enum":
			list, _ := x.([]any)
			for _, e := range list {
				if err == nil {
					err = s.addEnum(e)
				}
			}
			s.hasEnum = true
		case "const":
			err = s.addEnum(x)
			s.hasEnum = true
		case "format":
			f, known := quickFormats[fmt.Sprint(x)]
			if !known {
				err = fmt.Errorf("format %v", x)
			}
			s.format = f
		case "pattern":
			p, _ := x.(string)
			s.pattern, err = regexp.Compile(p) // the library's default engine
		case "minimum":
			s.minimum, err = quickBound(x)
		case "maximum":
			s.maximum, err = quickBound(x)
		default:
			err = fmt.Errorf("keyword %s", k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *quickSchema) compileType(x any) error {
	names, ok := x.([]any)
	if !ok {
		names = []any{x}
	}
	for _, n := range names {
		name, _ := n.(string)
		t, ok := quickTypeNames[name]
		if !ok {
			return fmt.Errorf("type %v", x)
		}
		s.types |= t
	}
	return nil
}

// addEnum adds one allowed value; numbers must be plain integers.
func (s *quickSchema) addEnum(v any) error {
	switch v := v.(type) {
	case string, bool, nil:
		s.enum = append(s.enum, v)
	case json.Number:
		if !plainInteger(string(v)) {
			return fmt.Errorf("enum number %s", v)
		}
		s.enum = append(s.enum, quickInt(v))
	default:
		return fmt.Errorf("enum value %v", v)
	}
	return nil
}

func quickCount(x any) (int, error) {
	n, ok := x.(json.Number)
	if !ok || !plainInteger(string(n)) {
		return 0, fmt.Errorf("count %v", x)
	}
	i, err := strconv.Atoi(string(n))
	return i, err
}

func quickBound(x any) (*int64, error) {
	n, ok := x.(json.Number)
	if !ok || !plainInteger(string(n)) {
		return nil, fmt.Errorf("bound %v", x)
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return &i, err
}

// plainInteger reports whether a number literal is an integer written
// without fraction or exponent, of at most 18 digits, and not "-0": such
// literals are equal exactly when their text is.
func plainInteger(s string) bool {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 18 || (digits[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// accepts reports whether the library surely accepts v; false means that
// the library must decide. utf8OK promises that every string of v is valid
// UTF-8 (as Decode's are), so that characters can be counted faster.
func (s *quickSchema) accepts(v any, utf8OK bool) bool {
	if s.ref != nil && !s.ref.accepts(v, utf8OK) {
		return false
	}
	if s.types != 0 && s.types&typeOf(v) == 0 {
		return false
	}
	if s.hasEnum && !s.inEnum(v) {
		return false
	}
	switch v := v.(type) {
	case string:
		return s.acceptsString(v, utf8OK)
	case json.Number:
		return s.acceptsNumber(v)
	case map[string]any:
		return s.acceptsObject(v, utf8OK)
	case []any:
		if (s.minItems >= 0 && len(v) < s.minItems) || (s.maxItems >= 0 && len(v) > s.maxItems) {
			return false
		}
		if s.items != nil {
			for _, x := range v {
				if !s.items.accepts(x, utf8OK) {
					return false
				}
			}
		}
		return true
	case bool, nil:
		return true
	}
	return false // no type a decoded document holds
}

func (s *quickSchema) acceptsString(v string, utf8OK bool) bool {
	if s.minLength >= 0 || s.maxLength >= 0 {
		// The library counts characters.
		n := 0
		switch {
		case s.minLength <= 0 && len(v) <= s.maxLength:
			n = len(v) // a string has no more characters than bytes
		case utf8OK:
			n = countValidUTF8(v)
		default:
			n = utf8.RuneCountInString(v)
		}
		if (s.minLength >= 0 && n < s.minLength) || (s.maxLength >= 0 && n > s.maxLength) {
			return false
		}
	}
	if s.format != nil && !s.format(v) {
		return false
	}
	return s.pattern == nil || s.pattern.MatchString(v)
}

func (s *quickSchema) acceptsNumber(v json.Number) bool {
	if s.minimum == nil && s.maximum == nil {
		return true
	}
	if !plainInteger(string(v)) {
		return false
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	return err == nil && (s.minimum == nil || n >= *s.minimum) && (s.maximum == nil || n <= *s.maximum)
}

func (s *quickSchema) acceptsObject(v map[string]any, utf8OK bool) bool {
	for _, name := range s.required {
		if _, ok := v[name]; !ok {
			return false
		}
	}
	if s.props == nil && !s.closed {
		return true
	}
	for name, x := range v {
		p, ok := s.props[name]
		switch {
		case !ok && s.closed:
			return false
		case ok && !p.accepts(x, utf8OK):
			return false
		}
	}
	return true
}

// member returns the schema of the object member name where s applies,
// if s (or its $ref) names one.
func (s *quickSchema) member(name string) *quickSchema {
	for ; s != nil; s = s.ref {
		if p, ok := s.props[name]; ok {
			return p
		}
	}
	return nil
}

// itemSchema returns the schema of an array's items where s applies.
func (s *quickSchema) itemSchema() *quickSchema {
	for ; s != nil; s = s.ref {
		if s.items != nil {
			return s.items
		}
	}
	return nil
}

// allowsText reports whether a string may stand where s applies: its type
// allows a string, and its enum (if any) holds one.
func (s *quickSchema) allowsText() bool {
	for ; s != nil; s = s.ref {
		if s.types != 0 && s.types&typeString == 0 {
			return false
		}
		if s.hasEnum && !slices.ContainsFunc(s.enum, func(e any) bool { _, ok := e.(string); return ok }) {
			return false
		}
	}
	return true
}

// dropBlanks removes from v, which s describes, every object member that
// is blank text where the schema asks for text: there, blank text counts
// as missing. A blank member where no text may stand (a boolean, a number,
// an object, a member the schema does not name) stays, so that the schema
// refuses it for its type, or as not allowed.
func (s *quickSchema) dropBlanks(v any) {
	switch v := v.(type) {
	case map[string]any:
		for name, x := range v {
			p := s.member(name)
			if p == nil {
				continue
			}
			if t, ok := x.(string); ok && t == "" {
				if p.allowsText() {
					delete(v, name)
				}
				continue
			}
			p.dropBlanks(x)
		}
	case []any:
		if items := s.itemSchema(); items != nil {
			for _, x := range v {
				items.dropBlanks(x)
			}
		}
	}
}

// countValidUTF8 returns the number of characters of s, which must be valid
// UTF-8: the bytes that start a character, counted eight at a time (what
// utf8.RuneCountInString does a character at a time; it was a seventh of a
// maximal intake). TestCountValidUTF8 compares the two.
func countValidUTF8(s string) int {
	n := len(s)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A continuation byte is 10xxxxxx: bit 7 set, bit 6 clear.
		n -= bits.OnesCount64(x &^ (x << 1) & 0x8080808080808080)
	}
	for ; i < len(s); i++ {
		if s[i]&0xc0 == 0x80 {
			n--
		}
	}
	return n
}

// inEnum reports whether v is surely one of the allowed values.
func (s *quickSchema) inEnum(v any) bool {
	if n, ok := v.(json.Number); ok {
		if !plainInteger(string(n)) {
			return false
		}
		v = quickInt(n)
	}
	for _, e := range s.enum {
		if e == v {
			return true
		}
	}
	return false
}

// typeOf returns the JSON types v belongs to; a number counts as an integer
// only when it is written as one (the library also counts 1.0, but then
// the library decides).
func typeOf(v any) quickTypes {
	switch v := v.(type) {
	case nil:
		return typeNull
	case bool:
		return typeBoolean
	case string:
		return typeString
	case map[string]any:
		return typeObject
	case []any:
		return typeArray
	case json.Number:
		if plainInteger(string(v)) {
			return typeNumber | typeInteger
		}
		return typeNumber
	}
	return 0
}

// quickDateTime accepts the RFC 3339 date-times of the strict form
// 2006-01-02T15:04:05[.fraction](Z|+hh:mm|-hh:mm), "t" and "z" in either
// case, a real date, hours to 23 and minutes to 59, and seconds to 59 or,
// a leap second, 60 in the last minute of a day in UTC (RFC 3339 section
// 5.7, as the JSON Schema test suite reads it): 23:59:60Z, or
// 15:59:60-08:00.
func quickDateTime(s string) bool {
	if len(s) < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return false
	}
	if !quickDate(s[:10]) {
		return false
	}
	if !twoDigits(s[11:13], 23) || !twoDigits(s[14:16], 59) || !twoDigits(s[17:19], 60) {
		return false
	}
	rest := s[19:]
	if frac, ok := strings.CutPrefix(rest, "."); ok {
		n := 0
		for n < len(frac) && frac[n] >= '0' && frac[n] <= '9' {
			n++
		}
		if n == 0 {
			return false
		}
		rest = frac[n:]
	}
	offset := 0 // minutes east of UTC
	switch {
	case rest == "Z" || rest == "z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
		twoDigits(rest[1:3], 23) && twoDigits(rest[4:6], 59):
		offset = atoi(rest[1:3])*60 + atoi(rest[4:6])
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return false
	}
	if s[17:19] == "60" {
		local := atoi(s[11:13])*60 + atoi(s[14:16])
		return ((local-offset)%1440+1440)%1440 == 23*60+59
	}
	return true
}

// quickDate accepts a real date written 2006-01-02 from year MinYear on,
// as the schema's date format does (formats).
func quickDate(s string) bool {
	_, ok := validDate(s)
	return ok
}

// twoDigits reports whether s is two ASCII digits of a number up to max.
func twoDigits(s string, max int) bool {
	return len(s) == 2 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' &&
		int(s[0]-'0')*10+int(s[1]-'0') <= max
}
