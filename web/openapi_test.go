package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/mux"
)

// TestOpenAPIMatchesRoutes checks the OpenAPI document against the real
// router: every /api/v1 route and method is documented, nothing else is,
// and every operation that needs a token documents 401.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string `json:"openapi"`
		Servers []struct{ URL string }
		Info    struct{ Description string }
		Paths   map[string]map[string]struct {
			Security   *[]map[string][]string `json:"security"`
			Parameters []struct {
				Ref string `json:"$ref"`
			} `json:"parameters"`
			Responses map[string]struct {
				Headers map[string]any `json:"headers"`
				Content map[string]any `json:"content"`
			} `json:"responses"`
		}
		Components struct {
			Schemas struct {
				Problem struct {
					Properties map[string]struct{ Description string }
				}
			}
		}
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/v1" {
		t.Fatalf("openapi %q servers %v; want 3.1.0 with server /api/v1", doc.OpenAPI, doc.Servers)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented = append(documented, strings.ToUpper(method)+" /api/v1"+path)
			if len(op.Responses) == 0 {
				t.Errorf("%s %s documents no responses", method, path)
			}
			if _, ok := op.Responses["401"]; op.Security != nil && len(*op.Security) > 0 && !ok {
				t.Errorf("%s %s needs a token but documents no 401", method, path)
			}
			// Every route reads its URL (textURL: 400) and words its
			// problems in the caller's language.
			if _, ok := op.Responses["400"]; !ok {
				t.Errorf("%s %s documents no 400 (a URL that cannot be read)", method, path)
			}
			if !slices.ContainsFunc(op.Parameters, func(p struct {
				Ref string `json:"$ref"`
			}) bool {
				return p.Ref == "#/components/parameters/AcceptLanguage"
			}) {
				t.Errorf("%s %s does not list the Accept-Language parameter", method, path)
			}
			// A problem document's text follows Accept-Language, and
			// its answer says so.
			for status, r := range op.Responses {
				if r.Content["application/problem+json"] != nil && (r.Headers["Content-Language"] == nil || r.Headers["Vary"] == nil) {
					t.Errorf("%s %s: %s does not list Content-Language and Vary", method, path, status)
				}
			}
		}
	}
	// Every problem type the service writes is named, with its status;
	// the statuses no operation lists (404 for no route, 405, 500) are
	// said in the document's description.
	types := doc.Components.Schemas.Problem.Properties["type"].Description
	for _, st := range statuses {
		if !strings.Contains(types, "`"+st.typ+"` ("+strconv.Itoa(st.status)) {
			t.Errorf("the Problem schema's type does not name %s with its status %d", st.typ, st.status)
		}
	}
	for _, s := range []string{"404", "405", "`Allow`", "500", "Accept-Language: en", "HEAD"} {
		if !strings.Contains(doc.Info.Description, s) {
			t.Errorf("the document's description does not say %q", s)
		}
	}
	router := newRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), mustEngine(t), nil, nil, newMetrics(), nil, Options{Now: time.Now})
	var routed []string
	err := router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := pathTemplate(route) // the document gives a variable's pattern as the parameter's
		if err != nil || !strings.HasPrefix(path, "/api/v1/") {
			return nil
		}
		methods, _ := route.GetMethods()
		for _, m := range methods {
			routed = append(routed, m+" "+path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(documented)
	sort.Strings(routed)
	if diff := cmp.Diff(routed, documented); diff != "" {
		t.Errorf("OpenAPI paths differ from the routes (-routes +openapi):\n%s", diff)
	}
}
