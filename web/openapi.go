package web

import (
	_ "embed"
	"net/http"
)

// openAPI is the API's OpenAPI 3.1 document; a test checks it against the
// routes so that it cannot drift.
//
//go:embed openapi.json
var openAPI []byte

// handleOpenAPI handles GET /api/v1/openapi.json.
func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPI)
	})
}
