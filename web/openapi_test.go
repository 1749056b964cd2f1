package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"sort"
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
		Paths   map[string]map[string]struct {
			Security  *[]map[string][]string `json:"security"`
			Responses map[string]any         `json:"responses"`
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
			if op.Security != nil && len(*op.Security) > 0 && op.Responses["401"] == nil {
				t.Errorf("%s %s needs a token but documents no 401", method, path)
			}
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
