package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// DefaultMaxBytes is the largest submission accepted unless configured
// otherwise. A maximal fk7804 with every text at its limit in \u escapes is
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
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed(dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, Errorf(EMALFORMED, "The body must be a JSON object.")
	}
	v, err := decodeObject(dec, "", 1)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, Errorf(EMALFORMED, "The body has data after the JSON object (offset %d).", dec.InputOffset())
	}
	return v, nil
}

func decodeObject(dec *json.Decoder, ptr string, depth int) (map[string]any, error) {
	if depth > maxDepth {
		return nil, Errorf(EMALFORMED, "The JSON is nested deeper than %d levels at %s.", maxDepth, ptr)
	}
	obj := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed(dec, err)
		}
		key := tok.(string) // the decoder guarantees object keys are strings
		p := ptr + "/" + escapePointer(key)
		if _, dup := obj[key]; dup {
			return nil, Errorf(EMALFORMED, "The key %s appears twice.", p)
		}
		v, err := decodeValue(dec, p, depth)
		if err != nil {
			return nil, err
		}
		obj[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, malformed(dec, err)
	}
	return obj, nil
}

func decodeValue(dec *json.Decoder, ptr string, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed(dec, err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil // string, json.Number, bool or nil
	}
	if d == '{' {
		return decodeObject(dec, ptr, depth+1)
	}
	if depth+1 > maxDepth {
		return nil, Errorf(EMALFORMED, "The JSON is nested deeper than %d levels at %s.", maxDepth, ptr)
	}
	arr := []any{}
	for i := 0; dec.More(); i++ {
		v, err := decodeValue(dec, fmt.Sprintf("%s/%d", ptr, i), depth+1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return nil, malformed(dec, err)
	}
	return arr, nil
}

func malformed(dec *json.Decoder, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return Errorf(EMALFORMED, "The body is not valid JSON: %s (offset %d).", syn.Error(), syn.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return Errorf(EMALFORMED, "The body is not valid JSON: it ends too early.")
	}
	return Errorf(EMALFORMED, "The body is not valid JSON (offset %d).", dec.InputOffset())
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

// escapePointer escapes one JSON Pointer reference token (RFC 6901).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
