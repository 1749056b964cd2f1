package web

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// templateSummary is one template version in the list.
type templateSummary struct {
	Template   string       `json:"template"`
	Version    string       `json:"version"`
	Title      schemas.Text `json:"title"`
	FormNumber string       `json:"formNumber"`
	ValidFrom  string       `json:"validFrom"`
	Links      struct {
		Self string `json:"self"`
	} `json:"links"`
}

func summarize(t *schemas.Template) templateSummary {
	s := templateSummary{Template: t.ID, Version: t.Version, Title: t.Title, FormNumber: t.FormNumber, ValidFrom: t.ValidFrom}
	s.Links.Self = "/api/v1/templates/" + t.ID + "/" + t.Version
	return s
}

// handleTemplateList handles GET /api/v1/templates.
func handleTemplateList(logger *slog.Logger, eng *intake.Engine) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		if err := noParams(r); err != nil {
			return err
		}
		items := []templateSummary{}
		for _, t := range eng.Registry().All() {
			items = append(items, summarize(t))
		}
		encode(w, http.StatusOK, struct {
			Items []templateSummary `json:"items"`
		}{items})
		return nil
	})
}

// handleTemplateView handles GET /api/v1/templates/{template}/{version}:
// the JSON Schema, the form definition and the declared rules.
func handleTemplateView(logger *slog.Logger, eng *intake.Engine) http.Handler {
	type response struct {
		templateSummary
		Agency string          `json:"agency,omitempty"`
		Schema json.RawMessage `json:"schema"`
		Form   schemas.Form    `json:"form"`
		Rules  []schemas.Rule  `json:"rules"`
	}
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		v := mux.Vars(r)
		t, ok := eng.Template(v["template"], v["version"])
		if !ok {
			return intake.Failure(intake.ENOTFOUND, "notFound.template", v["template"], v["version"])
		}
		encode(w, http.StatusOK, response{templateSummary: summarize(t), Agency: t.Agency, Schema: t.Schema, Form: t.Form, Rules: t.Rules})
		return nil
	})
}
