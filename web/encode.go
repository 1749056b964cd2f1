package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"github.com/intyg/intyg/intake"
)

// web's own error codes, for HTTP faults the domain does not know.
const (
	eUnsupportedMediaType = "unsupported_media_type"
	eMethodNotAllowed     = "method_not_allowed"
	eTooManyRequests      = "too_many_requests"
)

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// errorHandler adapts a handlerFunc: a returned error is written by writeError.
func errorHandler(logger *slog.Logger, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			writeError(logger, w, r, err)
		}
	})
}

// writeError writes err as an HTML error page to a browser (its Accept
// prefers HTML) and as a problem document to everyone else. Only here are
// internal errors logged; the caller sees "Internal error." and nothing more.
func writeError(logger *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	doc := Problem(err, lang(r))
	if doc.Status == http.StatusInternalServerError {
		logger.ErrorContext(r.Context(), "internal error", "method", r.Method, "route", routeName(r), "error", err.Error())
	}
	if doc.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="intyg"`)
	}
	if wantsHTML(r) {
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
// Content-Type is application/json (UTF-8), 413 when it is larger.
func readBody(w http.ResponseWriter, r *http.Request, max int) ([]byte, error) {
	if !isJSON(r.Header.Get("Content-Type")) {
		return nil, intake.Errorf(eUnsupportedMediaType, "Send the certificate as Content-Type: application/json.")
	}
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, int64(max)))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, intake.Errorf(intake.ETOOLARGE, "The body is larger than %d bytes.", max)
	}
	if err != nil {
		return nil, intake.Errorf(intake.EMALFORMED, "The body could not be read.")
	}
	return buf.Bytes(), nil
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

// lang returns "en" when the client prefers English, else "sv".
func lang(r *http.Request) string {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return "sv"
	}
	if _, i, conf := languages.Match(tags...); i == 1 && conf != language.No {
		return "en"
	}
	return "sv"
}
