package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
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

// Decode parses b as a submission: one JSON object in valid UTF-8, no
// duplicate keys, nothing after it, at most maxBytes long, nested at most 32
// deep. Numbers stay json.Number. It returns EMALFORMED or ETOOLARGE errors
// that name the place of the fault.
func Decode(b []byte, maxBytes int) (map[string]any, error) {
	if maxBytes > 0 && len(b) > maxBytes {
		return nil, Errorf(ETOOLARGE, "The body is larger than %d bytes.", maxBytes)
	}
	if !utf8.Valid(b) {
		return nil, Errorf(EMALFORMED, "The body is not valid UTF-8.")
	}
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		return nil, Errorf(EMALFORMED, "The body starts with a byte-order mark; send plain UTF-8 JSON.")
	}
	// jsontext refuses duplicate names and invalid UTF-8 by default.
	dec := jsontext.NewDecoder(bytes.NewReader(b))
	if dec.PeekKind() != '{' {
		if _, err := dec.ReadToken(); err != nil {
			return nil, malformed(err)
		}
		return nil, Errorf(EMALFORMED, "The body must be a JSON object.")
	}
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, Errorf(EMALFORMED, "The body has data after the JSON object (offset %d).", dec.InputOffset())
	}
	return v.(map[string]any), nil
}

// decodeValue reads one value: objects as map[string]any, arrays as []any,
// numbers as json.Number, and strings, bools and null as themselves.
func decodeValue(dec *jsontext.Decoder) (any, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, malformed(err)
	}
	switch tok.Kind() {
	case '{':
		if dec.StackDepth() > maxDepth {
			return nil, Errorf(EMALFORMED, "The JSON is nested deeper than %d levels at %s.", maxDepth, dec.StackPointer())
		}
		obj := map[string]any{}
		for dec.PeekKind() != '}' {
			tok, err := dec.ReadToken()
			if err != nil {
				return nil, malformed(err)
			}
			key := tok.String() // read before the next call voids tok
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			obj[key] = v
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, malformed(err)
		}
		return obj, nil
	case '[':
		if dec.StackDepth() > maxDepth {
			return nil, Errorf(EMALFORMED, "The JSON is nested deeper than %d levels at %s.", maxDepth, dec.StackPointer())
		}
		arr := []any{}
		for dec.PeekKind() != ']' {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, malformed(err)
		}
		return arr, nil
	case '"':
		return tok.String(), nil
	case '0':
		return json.Number(tok.String()), nil
	case 't', 'f':
		return tok.Bool(), nil
	case 'n':
		return nil, nil
	}
	return nil, Errorf(EMALFORMED, "The body is not valid JSON (offset %d).", dec.InputOffset())
}

func malformed(err error) error {
	var syn *jsontext.SyntacticError
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(EMALFORMED, "The body is not valid JSON: it ends too early.")
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		return Errorf(EMALFORMED, "The key %s appears twice.", syn.JSONPointer)
	case errors.As(err, &syn):
		return Errorf(EMALFORMED, "The body is not valid JSON at offset %d: %v.", syn.ByteOffset, syn.Err)
	}
	return Errorf(EMALFORMED, "The body is not valid JSON: %v.", err)
}

// clean applies the free-text rules of the contract in place: every string
// is trimmed and put in Unicode NFC, and an object member whose string is
// empty after trimming is removed, because blank text counts as missing.
func clean(v any) any {
	switch v := v.(type) {
	case string:
		return norm.NFC.String(strings.TrimSpace(v))
	case map[string]any:
		for k, x := range v {
			x = clean(x)
			if s, ok := x.(string); ok && s == "" {
				delete(v, k)
				continue
			}
			v[k] = x
		}
	case []any:
		for i, x := range v {
			v[i] = clean(x)
		}
	}
	return v
}
