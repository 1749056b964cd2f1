package intake

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Error codes of Error. Each maps to one HTTP status in package web.
const (
	ECONFLICT     = "conflict"     // the action conflicts with stored state
	EINTERNAL     = "internal"     // anything unexpected
	EINVALID      = "invalid"      // the input breaks the contract; see Problems
	EMALFORMED    = "malformed"    // the body is not a JSON object in UTF-8
	ENOTFOUND     = "not_found"    // the thing does not exist
	ETOOLARGE     = "too_large"    // the body exceeds the size limit
	EUNAUTHORIZED = "unauthorized" // missing or insufficient credentials
	EFORBIDDEN    = "forbidden"    // authenticated, but the role may not do this
	EUNAVAILABLE  = "unavailable"  // the database cannot take writes now (full, locked, unreachable); try again
	ELOCKED       = "locked"       // too many failed sign-ins for this name; wait
)

// Error is Intyg's one domain error. Message is safe to show to the caller;
// Problems lists every rule the input broke, each at its JSON Pointer.
type Error struct {
	Code    string
	Message string
	// Key names Message in the catalogue, when it is one of its texts:
	// the caller then reads it in its own language (ErrorText).
	Key string
	// Args fill the %v of Key's text (a limit, a name, an id).
	Args     []any
	Problems Problems
}

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Problems) == 0 {
		return fmt.Sprintf("intyg error: code=%s message=%s", e.Code, e.Message)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "intyg error: code=%s message=%s:", e.Code, e.Message)
	for _, p := range e.Problems {
		fmt.Fprintf(&b, " %s %s;", p.Pointer, p.Code)
	}
	return b.String()
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Failure returns an *Error with the given code whose message is the
// catalogue's text for key, filled with args: English in Message (and the
// server's log and the commands' output), in the caller's language through
// ErrorText.
func Failure(code, key string, args ...any) *Error {
	return &Error{Code: code, Message: Text(key, "en", args...), Key: key, Args: args}
}

// WithProblems sets e's problems and returns e.
func (e *Error) WithProblems(ps Problems) *Error {
	e.Problems = ps
	return e
}

// ErrorCode returns the code of err's *Error, EINTERNAL for any other
// error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of err's *Error, or "Internal error."
// for any other error, so that internal details never reach a caller.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	}
	return "Internal error."
}

// ErrorText is ErrorMessage in lang ("en" or Swedish) when err's *Error
// names its text in the catalogue (Failure), or has its first problem's
// message as its own (InvalidError); other messages are as written.
func ErrorText(err error, lang string) string {
	var e *Error
	switch {
	case !errors.As(err, &e):
	case e.Key != "":
		return Text(e.Key, lang, e.Args...)
	case len(e.Problems) > 0 && e.Message == e.Problems[0].MessageEn:
		return e.Problems[0].Localized(lang)
	}
	return ErrorMessage(err)
}

// ErrorProblems returns the problems of err's *Error, if any.
func ErrorProblems(err error) Problems {
	var e *Error
	if errors.As(err, &e) {
		return e.Problems
	}
	return nil
}

// Problem is one broken rule at one place of a submission.
type Problem struct {
	// Pointer is an RFC 6901 JSON Pointer into the submitted document.
	Pointer string `json:"pointer"`
	// Code is a stable machine-readable word such as "required".
	Code string `json:"code"`
	// Message is the Swedish explanation.
	Message string `json:"message"`
	// MessageEn is the English explanation.
	MessageEn string `json:"messageEn,omitempty"`
}

// Localized returns the message in lang: "en" for English, else Swedish.
func (p Problem) Localized(lang string) string {
	if lang == "en" && p.MessageEn != "" {
		return p.MessageEn
	}
	return p.Message
}

// Problems is a list of problems, kept sorted by pointer then code.
type Problems []Problem

// sortProblems sorts by pointer (array indexes compared as numbers), then
// code, and drops exact duplicates (the same code at the same pointer).
func sortProblems(ps Problems) Problems {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if c := ComparePointers(a.Pointer, b.Pointer); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	out := ps[:0]
	for i, p := range ps {
		if i > 0 && p.Pointer == ps[i-1].Pointer && p.Code == ps[i-1].Code {
			continue
		}
		out = append(out, p)
	}
	return out
}

// maxProblems bounds the problems one refusal lists. A certificate with
// more than a few dozen problems is a wrong template or a hostile body;
// listing the first hundred is enough to correct it.
const maxProblems = 100

// capProblems keeps the first maxProblems of sorted problems ps. If it left
// any out, the list starts with one problem "tooManyProblems" at the whole
// document (pointer "", which sorts first) saying how many, so the list stays
// sorted and in the contract's shape.
func capProblems(ps Problems) Problems {
	if len(ps) <= maxProblems {
		return ps
	}
	out := make(Problems, 0, maxProblems+1)
	out = append(out, problem("", "tooManyProblems", len(ps)-maxProblems))
	return append(out, ps[:maxProblems]...)
}
