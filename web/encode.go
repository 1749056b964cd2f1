package web

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/intyg/intyg/intake"
)

// web's own error codes, for HTTP faults the domain does not know.
const (
	eUnsupportedMediaType = "unsupported_media_type"
	eMethodNotAllowed     = "method_not_allowed"
	eTooManyRequests      = "too_many_requests"
	// eBadRequest: a URL, header or form that is not what it must be (a
	// body that is not a JSON object is intake's EMALFORMED).
	eBadRequest = "bad_request"
)

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// errorHandler adapts a handlerFunc: a returned error is written by
// writeError. After a 413 the rest of the body is read and dropped, so that
// a client that sends all of it before reading gets the answer rather than
// a connection reset.
func errorHandler(logger *slog.Logger, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			writeError(logger, w, r, err)
			if intake.ErrorCode(err) == intake.ETOOLARGE {
				drainBody(w, r)
			}
		}
	})
}

// retryAfterUnavailable is the Retry-After, in seconds, of a 503.
const retryAfterUnavailable = 5

// maxDrain bounds how much of a refused body the server still reads, and
// drainTime how long it waits for it.
const (
	maxDrain  = 64 << 20
	drainTime = 10 * time.Second
)

// tooLarge returns the 413 error for a body over max bytes and prepares
// the answer for drainBody: read on after writing, then close.
func tooLarge(w http.ResponseWriter, max int64) error {
	http.NewResponseController(w).EnableFullDuplex()
	w.Header().Set("Connection", "close")
	return intake.Failure(intake.ETOOLARGE, "body.tooLarge", max)
}

// drainBody sends the answer written so far, then reads and drops what the
// client still sends (up to maxDrain, for up to drainTime).
func drainBody(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	rc.Flush()
	rc.SetReadDeadline(time.Now().Add(drainTime))
	io.Copy(io.Discard, io.LimitReader(r.Body, maxDrain))
}

// maxFormBytes is the most a posted certificate form may hold: twice the
// largest submission, as a form's encoding makes its text longer.
func maxFormBytes(maxBody int) int64 { return int64(maxBody) * 2 }

// readLimited reads a request body of at most max bytes. A declared
// Content-Length over max is refused before anything is read.
func readLimited(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, tooLarge(w, max)
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead) // one allocation for a body of the length declared
	}
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, max+1)); err != nil {
		return nil, intake.Failure(intake.EMALFORMED, "body.unreadable")
	}
	if int64(buf.Len()) > max {
		return nil, tooLarge(w, max)
	}
	return buf.Bytes(), nil
}

// writeError writes err as an HTML error page to a browser (its Accept
// prefers HTML) and as a problem document to everyone else. Only here are
// internal errors logged; the caller sees "Internal error." and nothing more.
func writeError(logger *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	html := wantsHTML(r)
	l := "sv"
	if html {
		// In Swedish, as every page around it is, whatever language the
		// browser was set up in: an English page amid Swedish ones reads
		// as another service's.
		speak(w, l)
	} else {
		l = lang(w, r)
	}
	doc := Problem(err, l)
	if doc.Status == http.StatusInternalServerError {
		logger.ErrorContext(r.Context(), "internal error", "method", r.Method, "route", routeName(r), "error", err.Error())
	}
	switch doc.Status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="intyg"`)
	case http.StatusServiceUnavailable:
		logger.WarnContext(r.Context(), "unavailable", "method", r.Method, "route", routeName(r), "error", err.Error())
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterUnavailable))
	}
	if html {
		writeErrorPage(w, r, doc)
		return
	}
	writeJSON(w, doc.Status, "application/problem+json", doc)
}

// encode writes v as JSON with the given status.
func encode(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, "application/json", v)
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"title":"Internal error","status":500}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType+"; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// readBody reads a JSON request body of at most max bytes: 415 unless the
// Content-Type is application/json (UTF-8) and the body is sent as it is
// (no Content-Encoding but identity: a gzipped body would otherwise be
// refused as not UTF-8, and one only labelled gzip stored as JSON), 413
// when it is larger.
func readBody(w http.ResponseWriter, r *http.Request, max int) ([]byte, error) {
	if !isJSON(r.Header.Get("Content-Type")) {
		return nil, intake.Failure(eUnsupportedMediaType, "body.contentType")
	}
	for _, v := range r.Header.Values("Content-Encoding") {
		for ce := range strings.SplitSeq(v, ",") {
			if ce = strings.TrimSpace(ce); ce != "" && !strings.EqualFold(ce, "identity") {
				w.Header().Set("Accept-Encoding", "identity") // RFC 9110, 15.5.16
				return nil, intake.Failure(eUnsupportedMediaType, "body.contentEncoding")
			}
		}
	}
	return readLimited(w, r, int64(max))
}

// readJSONObject reads a JSON body of at most max bytes, strictly (one
// object, no duplicate keys).
func readJSONObject(w http.ResponseWriter, r *http.Request, max int) (map[string]any, error) {
	body, err := readBody(w, r, max)
	if err != nil {
		return nil, err
	}
	return intake.Decode(body, max)
}

// isJSON accepts application/json with no charset or charset UTF-8.
func isJSON(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, has := params["charset"]
	return !has || strings.EqualFold(cs, "utf-8")
}

var languages = language.NewMatcher([]language.Tag{language.Swedish, language.English})

// lang returns the language of an answer's messages, "en" when the client
// prefers English, else "sv", and says so in the answer's headers (speak).
// Every answer whose text follows Accept-Language takes its language here.
func lang(w http.ResponseWriter, r *http.Request) string {
	l := "sv"
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err == nil && len(tags) > 0 {
		if _, i, conf := languages.Match(tags...); i == 1 && conf != language.No {
			l = "en"
		}
	}
	speak(w, l)
	return l
}

// speak marks an answer as written in l: Content-Language l, and Vary:
// Accept-Language beside the Vary values already set, so that a cache
// does not give it to a client that asked for another language.
func speak(w http.ResponseWriter, l string) {
	h := w.Header()
	h.Set("Content-Language", l)
	for _, v := range h.Values("Vary") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name == "*" || strings.EqualFold(name, "Accept-Language") {
				return
			}
		}
	}
	h.Add("Vary", "Accept-Language")
}
