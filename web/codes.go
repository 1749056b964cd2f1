package web

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/intyg/intyg/intake"
)

// maxCodeMatches bounds a code search's answer.
const maxCodeMatches = 50

// handleCodeSearch handles GET /api/v1/codes/{list}?q=…&limit=… (and the
// same for signed-in people at /codes/{list}, for the diagnoses widget):
// codes of a list such as icd10se by code prefix or by the words of their
// titles, best matches first.
func handleCodeSearch(logger *slog.Logger, eng *intake.Engine) http.Handler {
	type response struct {
		Items []intake.CodeMatch `json:"items"`
	}
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		name := mux.Vars(r)["list"]
		list, ok := eng.CodeList(name)
		if !ok {
			return intake.Failure(intake.ENOTFOUND, "notFound.codeList", name)
		}
		q := r.URL.Query()
		p := newQueryParser(q, time.Time{}, "q", "limit") // as every list: no unknown parameter
		limit := 20
		if s := q.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > maxCodeMatches {
				p.bad("limit", "param.limit", maxCodeMatches)
			}
			limit = n
		}
		if err := p.err(); err != nil {
			return err
		}
		items := list.Search(q.Get("q"), limit)
		if items == nil {
			items = []intake.CodeMatch{}
		}
		encode(w, http.StatusOK, response{Items: items})
		return nil
	})
}
