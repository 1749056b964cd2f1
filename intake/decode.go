package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"golang.org/x/text/unicode/norm"
)

// DefaultMaxBytes is the largest submission accepted unless configured
// otherwise. The largest sick-pay certificate, every text at its limit in \u escapes, is
// under 300 KiB.
const DefaultMaxBytes = 1 << 20

// maxDepth bounds nesting, so hostile input cannot exhaust the stack.
const maxDepth = 32

// Hostile input must not cost more than its size suggests: everything after
// decoding (the JSON Schema, the rules, the problems and their encoding)
// walks the decoded values, and exact number comparison (big.Rat in the
// JSON Schema library) grows with a number's digits and exponent. These
// limits are far above any certificate (a maximal one holds under 400
// values, four items per list and three-digit numbers) and make the work
// per request a bounded multiple of them.
const (
	// maxArrayItems bounds the items of one array.
	maxArrayItems = 1000
	// maxValues bounds the values (objects, arrays, strings, numbers,
	// booleans and nulls) of a whole submission.
	maxValues = 10000
	// maxNumberLength bounds a number literal, in bytes.
	maxNumberLength = 100
	// maxExponentDigits bounds a number's exponent (|e| <= 999), after
	// leading zeros.
	maxExponentDigits = 3
)

// Decode parses b as a submission: one JSON object in valid UTF-8, no
// duplicate keys, nothing after it, at most maxBytes long, nested at most 32
// deep, with at most 1,000 items in an array and 10,000 values in all, and
// numbers of at most 100 characters with an exponent of at most 999.
// Numbers stay json.Number. It returns EMALFORMED or ETOOLARGE errors that
// name the place of the fault.
func Decode(b []byte, maxBytes int) (map[string]any, error) {
	doc, _, err := decode(b, maxBytes, false, nil, nil)
	return doc, err
}

// decode is Decode; with clean it also applies the free-text rules (see
// clean) to each string as it is read, so that cleaning costs no second
// walk of the document. known holds strings the templates name (member
// names, enum values), each also as an any: a string of the submission
// found there costs no allocation. It also returns what it established
// about the strings, for validate. pool, if not nil, keeps decoders for
// reuse: a jsontext decoder and its stacks cost more to build than a
// typical submission to read.
func decode(b []byte, maxBytes int, clean bool, known map[string]any, pool *sync.Pool) (map[string]any, docFacts, error) {
	if maxBytes > 0 && len(b) > maxBytes {
		return nil, docFacts{}, Failure(ETOOLARGE, "body.tooLarge", maxBytes)
	}
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) && utf8.Valid(b) {
		return nil, docFacts{}, Failure(EMALFORMED, "body.byteOrderMark")
	}
	d := &decoder{}
	if pool != nil {
		if pd, ok := pool.Get().(*decoder); ok {
			d = pd
		}
	}
	d.clean, d.known, d.control, d.blank, d.values = clean, known, !clean, !clean, 0
	doc, err := d.document(b)
	facts := docFacts{noControl: !d.control, noBlank: !d.blank, utf8OK: true}
	if pool != nil {
		d.release()
		pool.Put(d)
	}
	if err != nil && !utf8.Valid(b) {
		// jsontext refuses invalid UTF-8 anywhere, so only a body it
		// refuses needs the check; this error comes first.
		return nil, docFacts{}, Failure(EMALFORMED, "body.utf8")
	}
	return doc, facts, err
}

// release lets go of the last body and its values, so that a decoder kept
// for reuse holds no memory of them.
func (d *decoder) release() {
	d.buf = bytes.Buffer{}
	d.dec.Reset(&d.buf)
	clear(d.items[:cap(d.items)])
	d.items = d.items[:0]
}

// docFacts is what decoding established about a document's strings, so
// that validating it need not establish it again. The zero value
// establishes nothing.
type docFacts struct {
	// noControl: no string holds a control character (see cleanText).
	noControl bool
	// noBlank: no object member is blank text (see dropBlanks).
	noBlank bool
	// utf8OK: every string is valid UTF-8.
	utf8OK bool
}

// document reads b as one JSON object and nothing after it.
func (d *decoder) document(b []byte) (map[string]any, error) {
	// jsontext refuses duplicate names and invalid UTF-8 by default, and
	// reads a bytes.Buffer in place.
	d.buf = *bytes.NewBuffer(b)
	if d.dec == nil {
		d.dec = jsontext.NewDecoder(&d.buf)
	} else {
		d.dec.Reset(&d.buf)
	}
	if d.dec.PeekKind() != '{' {
		if _, err := d.dec.ReadToken(); err != nil {
			return nil, malformed(err)
		}
		return nil, Failure(EMALFORMED, "body.notObject")
	}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	if _, err := d.dec.ReadToken(); err != io.EOF {
		return nil, Failure(EMALFORMED, "body.trailing", d.dec.InputOffset())
	}
	return v.(map[string]any), nil
}

// decoder reads one submission and counts its values against maxValues.
type decoder struct {
	dec    *jsontext.Decoder
	buf    bytes.Buffer // the body, read in place
	values int
	// clean applies the free-text rules while decoding.
	clean bool
	// control is set when a string read may hold a control character.
	control bool
	// blank is set when an object member read is blank text (or when
	// not cleaning, since then nothing is known).
	blank bool
	known map[string]any
	// items holds the items of the arrays being read, so that each array
	// is allocated once, at its final length.
	items []any
}

// value reads one value: objects as map[string]any, arrays as []any,
// numbers as json.Number, and strings, bools and null as themselves.
func (d *decoder) value() (any, error) {
	dec := d.dec
	if d.values++; d.values > maxValues {
		// Read the value first, so that the pointer names it.
		if err := dec.SkipValue(); err != nil {
			return nil, malformed(err)
		}
		return nil, Failure(EMALFORMED, "body.tooManyValues", maxValues, pointerText(dec.StackPointer()))
	}
	switch dec.PeekKind() {
	case '0':
		return d.number()
	case '"':
		raw, err := dec.ReadValue()
		if err != nil {
			return nil, malformed(err)
		}
		return d.text(raw), nil
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, malformed(err)
	}
	switch tok.Kind() {
	case '{':
		if dec.StackDepth() > maxDepth {
			return nil, Failure(EMALFORMED, "body.tooDeep", maxDepth, dec.StackPointer())
		}
		obj := map[string]any{}
		for dec.PeekKind() != '}' {
			raw, err := dec.ReadValue()
			if err != nil {
				return nil, malformed(err)
			}
			key := d.name(raw) // read before the next call voids raw
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			if s, ok := v.(string); ok && s == "" {
				d.blank = true // dropped where the template has text (dropBlanks)
			}
			obj[key] = v
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, malformed(err)
		}
		return obj, nil
	case '[':
		if dec.StackDepth() > maxDepth {
			return nil, Failure(EMALFORMED, "body.tooDeep", maxDepth, dec.StackPointer())
		}
		start := len(d.items)
		for dec.PeekKind() != ']' {
			if len(d.items)-start == maxArrayItems {
				// The last item read is in the array, so its parent is the array.
				return nil, Failure(EMALFORMED, "body.tooManyItems", pointerText(dec.StackPointer().Parent()), maxArrayItems)
			}
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			d.items = append(d.items, v)
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, malformed(err)
		}
		arr := make([]any, len(d.items)-start) // never nil: [] stays []
		copy(arr, d.items[start:])
		d.items = d.items[:start]
		return arr, nil
	case 't', 'f':
		return tok.Bool(), nil
	case 'n':
		return nil, nil
	}
	return nil, Failure(EMALFORMED, "body.invalidJSON", dec.InputOffset())
}

// name returns the member name of a quoted JSON string that ReadValue
// validated.
func (d *decoder) name(raw jsontext.Value) string {
	if k, ok := d.known[string(unquoted(raw))]; ok {
		return k.(string)
	}
	return string(unquoted(raw))
}

// text returns the string value of a quoted JSON string that ReadValue
// validated, cleaned if the decoder cleans. The templates' strings are
// clean already (see knownStrings).
func (d *decoder) text(raw jsontext.Value) any {
	if k, ok := d.known[string(unquoted(raw))]; ok {
		return k
	}
	s := string(unquoted(raw))
	if d.clean {
		var control bool
		s, control = cleanText(s)
		d.control = d.control || control
	}
	return s
}

// unquoted returns the content of a valid quoted JSON string: its inner
// bytes when it has no escapes, or else a new unescaped copy.
func unquoted(raw jsontext.Value) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	b, _ := jsontext.AppendUnquote(nil, raw)
	return b
}

// number reads a number literal, refusing one too long or with too large
// an exponent before anything converts it.
func (d *decoder) number() (any, error) {
	raw, err := d.dec.ReadValue()
	if err != nil {
		return nil, malformed(err)
	}
	if len(raw) > maxNumberLength {
		return nil, Failure(EMALFORMED, "body.numberTooLong", pointerText(d.dec.StackPointer()), maxNumberLength)
	}
	if exponentDigits(raw) > maxExponentDigits {
		return nil, Failure(EMALFORMED, "body.exponent", pointerText(d.dec.StackPointer()))
	}
	return json.Number(raw), nil
}

// exponentDigits returns the number of digits of a valid number literal's
// exponent, leading zeros not counted (0 without an exponent).
func exponentDigits(raw []byte) int {
	i := bytes.IndexAny(raw, "eE")
	if i < 0 {
		return 0
	}
	exp := bytes.TrimLeft(raw[i+1:], "+-")
	return len(bytes.TrimLeft(exp, "0"))
}

// pointerText shows a pointer in a message; the whole document is "/".
func pointerText(p jsontext.Pointer) string {
	if p == "" {
		return "the top level"
	}
	return string(p)
}

func malformed(err error) error {
	var syn *jsontext.SyntacticError
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return Failure(EMALFORMED, "body.endsEarly")
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		return Failure(EMALFORMED, "body.duplicateKey", syn.JSONPointer)
	case errors.As(err, &syn):
		return Failure(EMALFORMED, "body.syntaxAt", syn.ByteOffset, syn.Err)
	}
	return Failure(EMALFORMED, "body.syntax", err)
}

// clean applies the free-text rules of the contract in place: every string
// is trimmed and put in Unicode NFC. A member that is then blank stays:
// blank text counts as missing only where text is asked for, which the
// reader decides (dropBlanks); elsewhere it is a value of the wrong type.
func clean(v any) any {
	switch v := v.(type) {
	case string:
		return cleanString(v)
	case map[string]any:
		for k, x := range v {
			v[k] = clean(x)
		}
	case []any:
		for i, x := range v {
			v[i] = clean(x)
		}
	}
	return v
}

// cleanString trims s and puts it in NFC (see cleanText).
func cleanString(s string) string {
	s, _ = cleanText(s)
	return s
}

// cleanText trims s and puts it in NFC. Text of characters below U+0300
// (ASCII, Latin-1 and Latin Extended: Swedish text) is already in NFC, since
// none of them decomposes or combines with another; only text with other
// characters goes through the normaliser. TestNFCFastPath checks the claim.
// In the same pass it reports whether the result may hold a control
// character (see controlProblems): surely not, when it is false.
func cleanText(s string) (_ string, control bool) {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f:
			control = true
		case c < utf8.RuneSelf:
		case c >= 0xc2 && c <= 0xcb && i+1 < len(s): // U+0080..U+02FF
			i++
		default:
			return norm.NFC.String(s), true
		}
	}
	return s, control
}

// addKnownStrings adds every member name and string of a template's JSON
// Schema to known (see decode), each also as an any. They include the
// schema's property names and enum and const values, the strings a
// submission repeats most; a string that cleaning would change, or with a
// control character, is left out, so that a known string is always the
// cleaned one and needs no control check.
func addKnownStrings(known map[string]any, schema []byte) error {
	var v any
	if err := json.Unmarshal(schema, &v); err != nil {
		return err
	}
	var walk func(v any)
	add := func(s string) {
		if c, control := cleanText(s); c == s && !control {
			known[s] = s
		}
	}
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			add(v)
		case map[string]any:
			for k, x := range v {
				add(k)
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return nil
}

// dropBlanks removes the members of obj named in text whose value is
// blank text: there, blank text counts as missing.
func dropBlanks(obj map[string]any, text ...string) {
	for _, k := range text {
		if s, ok := obj[k].(string); ok && s == "" {
			delete(obj, k)
		}
	}
}

// dropEveryBlank removes every object member of v that is blank text: the
// free-text rule where no schema tells text from other values.
func dropEveryBlank(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && s == "" {
				delete(v, k)
				continue
			}
			dropEveryBlank(x)
		}
	case []any:
		for _, x := range v {
			dropEveryBlank(x)
		}
	}
}
