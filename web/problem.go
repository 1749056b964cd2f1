package web

import (
	"net/http"

	"github.com/intyg/intyg/intake"
)

// problemBase prefixes the type URI of every problem document.
const problemBase = "https://intyg.se/problems/"

// ProblemDocument is an RFC 9457 problem document with the contract's
// "errors" (and, on accepted certificates, "warnings") members.
type ProblemDocument struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Code names a refusal of the whole request (the lifecycle's
	// certificateRevoked, …), when there is one such problem.
	Code   string         `json:"code,omitempty"`
	Errors []ProblemEntry `json:"errors,omitempty"`
}

// ProblemEntry is one problem in the wire format: pointer, code, message.
type ProblemEntry struct {
	Pointer string `json:"pointer"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// statuses is the one table from intake error codes to HTTP statuses,
// problem types and titles.
var statuses = map[string]struct {
	status int
	typ    string
	title  string
}{
	intake.EINVALID:       {http.StatusUnprocessableEntity, "invalid-certificate", "The certificate is not valid"},
	intake.EMALFORMED:     {http.StatusBadRequest, "malformed-body", "The body is not a JSON object"},
	intake.ETOOLARGE:      {http.StatusRequestEntityTooLarge, "body-too-large", "The body is too large"},
	intake.ENOTFOUND:      {http.StatusNotFound, "not-found", "Not found"},
	intake.ECONFLICT:      {http.StatusConflict, "conflict", "Conflict"},
	intake.EUNAUTHORIZED:  {http.StatusUnauthorized, "unauthorized", "Unauthorized"},
	intake.EFORBIDDEN:     {http.StatusForbidden, "forbidden", "Forbidden"},
	intake.EUNAVAILABLE:   {http.StatusServiceUnavailable, "unavailable", "Service unavailable"},
	eUnsupportedMediaType: {http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type"},
	eMethodNotAllowed:     {http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed"},
	eTooManyRequests:      {http.StatusTooManyRequests, "too-many-requests", "Too many requests"},
	eBadRequest:           {http.StatusBadRequest, "bad-request", "The request is not valid"},
}

// Problem builds the problem document for err, with messages in lang ("en"
// or Swedish). Errors that are not *intake.Error become a bare 500.
func Problem(err error, lang string) ProblemDocument {
	code := intake.ErrorCode(err)
	s, ok := statuses[code]
	if !ok {
		return ProblemDocument{Type: problemBase + "internal", Title: "Internal error", Status: http.StatusInternalServerError, Detail: "Internal error."}
	}
	doc := ProblemDocument{Type: problemBase + s.typ, Title: s.title, Status: s.status, Detail: intake.ErrorText(err, lang)}
	ps := intake.ErrorProblems(err)
	doc.Errors = Entries(ps, lang)
	if len(ps) == 1 && ps[0].Pointer == "" && code != intake.EINVALID {
		doc.Code = ps[0].Code
	}
	return doc
}

// Entries converts problems to their wire form in lang.
func Entries(ps intake.Problems, lang string) []ProblemEntry {
	if len(ps) == 0 {
		return nil
	}
	out := make([]ProblemEntry, len(ps))
	for i, p := range ps {
		out[i] = ProblemEntry{Pointer: p.Pointer, Code: p.Code, Message: p.Localized(lang)}
	}
	return out
}
