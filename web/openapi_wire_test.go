package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/intyg/intyg/store"
)

// openAPIOperation is what TestOpenAPIAnswers reads of an operation.
type openAPIOperation struct {
	Responses map[string]struct {
		Headers map[string]any            `json:"headers"`
		Content map[string]map[string]any `json:"content"`
	} `json:"responses"`
}

// TestOpenAPIAnswers sends every /api/v1 route the requests that make it
// answer each of its statuses, over real HTTP, and checks each answer
// against the OpenAPI document: the status is documented for the
// operation, so is the answer's media type, the body validates against
// the schema documented for them (an object schema that lists its
// properties is read as listing all of them, so that a member the service
// sends and the document leaves out is found), and the headers the answer must carry
// (Location, Idempotent-Replayed, Retry-After, Allow) are documented.
func TestOpenAPIAnswers(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]openAPIOperation `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(openAPI))
	if err != nil {
		t.Fatal(err)
	}
	closeObjects(raw)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("openapi.json", raw); err != nil {
		t.Fatal(err)
	}
	ptr := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1") }

	ts := newTestServer(t, store.SQLite)
	router := newRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), mustEngine(t), nil, nil, newMetrics(), nil, Options{Now: testNow})
	id := ts.submit(t, "valid/full-time-one-period.json")
	revoked := ts.submit(t, "valid/depression-code-without-dot.json")
	valid := readExample(t, "valid/full-time-one-period.json")
	invalid := []byte(`{"template": "fk7804", "version": "2.0"}`)
	kontkt := []byte(`{"type": "KONTKT", "text": "Ring oss."}`)
	var msg struct{ ID string }

	steps := []struct {
		who, method, path string
		body              []byte
		header            []string
		status            int
		keep              func(body []byte)
	}{
		{"", "GET", "/api/v1/healthz", nil, nil, 200, nil},
		{"", "GET", "/api/v1/readyz", nil, nil, 200, nil},
		{"", "GET", "/api/v1/openapi.json", nil, nil, 200, nil},
		{"admin", "GET", "/api/v1/metrics", nil, nil, 200, nil},
		{"", "GET", "/api/v1/metrics", nil, nil, 401, nil},
		{"revoked", "GET", "/api/v1/metrics", nil, nil, 401, nil},
		{"clinic", "GET", "/api/v1/metrics", nil, nil, 403, nil},
		{"clinic", "GET", "/api/v1/templates", nil, nil, 200, nil},
		{"clinic", "GET", "/api/v1/templates/fk7804/2.0", nil, nil, 200, nil},
		{"clinic", "GET", "/api/v1/templates/fk7804/9.9", nil, nil, 404, nil},
		{"clinic", "GET", "/api/v1/codes/icd10se?q=F32&limit=3", nil, nil, 200, nil},
		{"clinic", "GET", "/api/v1/codes/icd10se?limit=x", nil, nil, 422, nil},
		{"clinic", "GET", "/api/v1/codes/nope", nil, nil, 404, nil},
		{"clinic", "POST", "/api/v1/certificates", valid, []string{"Idempotency-Key", "k1"}, 201, nil},
		{"clinic", "POST", "/api/v1/certificates", valid, []string{"Idempotency-Key", "k1"}, 201, nil},
		{"clinic", "POST", "/api/v1/certificates", invalid, []string{"Idempotency-Key", "k1"}, 422, nil},
		{"clinic", "POST", "/api/v1/certificates", append(bytes.Clone(valid), '\n'), []string{"Idempotency-Key", "k1"}, 409, nil},
		{"clinic", "POST", "/api/v1/certificates", valid, []string{"Idempotency-Key", ""}, 400, nil},
		{"clinic", "POST", "/api/v1/certificates", []byte(`[1]`), nil, 400, nil},
		{"clinic", "POST", "/api/v1/certificates", valid, []string{"Content-Type", "text/plain"}, 415, nil},
		{"clinic", "POST", "/api/v1/certificates", bytes.Repeat([]byte(" "), 1<<20), nil, 413, nil},
		{"other-clinic", "POST", "/api/v1/certificates", valid, nil, 403, nil},
		{"caseworker", "POST", "/api/v1/certificates", valid, nil, 403, nil},
		{"caseworker", "GET", "/api/v1/certificates?limit=1", nil, nil, 200, nil},
		{"caseworker", "GET", "/api/v1/certificates?template=x", nil, nil, 422, nil},
		{"admin", "GET", "/api/v1/certificates", nil, nil, 403, nil},
		{"caseworker", "POST", "/api/v1/certificates/search", []byte(`{"patient": "19121212-1212"}`), nil, 200, nil},
		{"caseworker", "POST", "/api/v1/certificates/search", []byte(`{"limit": "x"}`), nil, 422, nil},
		{"caseworker", "POST", "/api/v1/certificates/search", []byte(`[]`), nil, 400, nil},
		{"caseworker", "POST", "/api/v1/certificates/validate", valid, nil, 200, nil},
		{"caseworker", "POST", "/api/v1/certificates/validate", invalid, nil, 422, nil},
		{"caseworker", "POST", "/api/v1/certificates/validate", []byte(`1`), nil, 400, nil},
		{"caseworker", "GET", "/api/v1/certificates/" + id, nil, nil, 200, nil},
		{"caseworker", "GET", "/api/v1/certificates/AAAAAAAAAAAAAAAAAAAAAA", nil, nil, 404, nil},
		{"other-clinic", "GET", "/api/v1/certificates/" + id, nil, nil, 404, nil},
		{"clinic", "POST", "/api/v1/certificates/" + revoked + "/revoke", []byte(`{"reason": "X"}`), nil, 422, nil},
		{"clinic", "POST", "/api/v1/certificates/" + revoked + "/revoke", []byte(`{"reason": "FEL_PATIENT"}`), nil, 200, nil},
		{"clinic", "POST", "/api/v1/certificates/" + revoked + "/revoke", []byte(`{"reason": "FEL_PATIENT"}`), nil, 409, nil},
		{"caseworker", "POST", "/api/v1/certificates/" + id + "/handled", nil, nil, 200, nil},
		{"caseworker", "DELETE", "/api/v1/certificates/" + id + "/handled", nil, nil, 200, nil},
		{"caseworker", "GET", "/api/v1/certificates/" + id + "/events", nil, nil, 200, nil},
		{"caseworker", "GET", "/api/v1/certificates/" + id + "/pdf", nil, nil, 200, nil},
		{"caseworker", "GET", "/api/v1/certificates/" + id + "/pdf?copy=x", nil, nil, 422, nil},
		{"clinic", "GET", "/api/v1/certificates/" + id + "/renewal", nil, nil, 200, nil},
		{"clinic", "GET", "/api/v1/certificates/" + revoked + "/renewal", nil, nil, 409, nil},
		{"caseworker", "POST", "/api/v1/certificates/" + id + "/messages", kontkt, []string{"Idempotency-Key", "m1"}, 201, func(b []byte) { json.Unmarshal(b, &msg) }},
		{"caseworker", "POST", "/api/v1/certificates/" + id + "/messages", kontkt, []string{"Idempotency-Key", "m1"}, 201, nil},
		{"caseworker", "POST", "/api/v1/certificates/" + id + "/messages", []byte(`{"type": "X"}`), nil, 422, nil},
		{"caseworker", "POST", "/api/v1/certificates/" + revoked + "/messages", kontkt, nil, 409, nil},
		{"caseworker", "POST", "/api/v1/certificates/" + id + "/messages", kontkt, nil, 201, nil},
		{"caseworker", "GET", "/api/v1/certificates/" + id + "/messages", nil, nil, 200, nil},
		{"caseworker", "GET", "/api/v1/messages?status=open&limit=1", nil, nil, 200, nil},
		{"caseworker", "GET", "/api/v1/messages?status=x", nil, nil, 422, nil},
		{"caseworker", "GET", "/api/v1/messages/{msg}", nil, nil, 200, nil},
		{"clinic", "POST", "/api/v1/messages/{msg}/answer", []byte(`{}`), nil, 422, nil},
		{"clinic", "POST", "/api/v1/messages/{msg}/answer", []byte(`{"text": "Ring oss."}`), nil, 200, nil},
		{"clinic", "POST", "/api/v1/messages/{msg}/answer", []byte(`{"text": "Ring oss."}`), nil, 409, nil},
		{"caseworker", "POST", "/api/v1/patients/sick-leave-cases", []byte(`{"patient": "19121212-1212"}`), nil, 200, nil},
		{"caseworker", "POST", "/api/v1/patients/sick-leave-cases", []byte(`{"patient": "1"}`), nil, 422, nil},
		{"admin", "GET", "/api/v1/audit?limit=1", nil, nil, 200, nil},
		{"admin", "GET", "/api/v1/audit?since=x", nil, nil, 422, nil},
		{"caseworker", "GET", "/api/v1/certificates?limit=%zz", nil, nil, 400, nil},
		{"caseworker", "GET", "/api/v1/messages?x=1", nil, nil, 422, nil},
		{"caseworker", "GET", "/api/v1/certificates/" + id, nil, []string{"Accept-Language", "en"}, 200, nil},
		{"caseworker", "GET", "/api/v1/certificates/AAAAAAAAAAAAAAAAAAAAAA", nil, []string{"Accept-Language", "en"}, 404, nil},
		{"caseworker", "HEAD", "/api/v1/certificates/" + id, nil, nil, 200, nil},
		{"caseworker", "HEAD", "/api/v1/certificates/AAAAAAAAAAAAAAAAAAAAAA", nil, nil, 404, nil},
		{"admin", "POST", "/api/v1/audit/search", []byte(`{"patient": "19121212-1212"}`), nil, 200, nil},
	}
	for _, s := range steps {
		path := strings.ReplaceAll(s.path, "{msg}", msg.ID)
		resp, body := ts.do(t, s.who, s.method, path, s.body, s.header...)
		what := fmt.Sprintf("%s %s as %q", s.method, path, s.who)
		if resp.StatusCode != s.status {
			t.Errorf("%s: %d %.300s, want %d", what, resp.StatusCode, body, s.status)
			continue
		}
		if s.keep != nil {
			s.keep(body)
		}
		req, _ := http.NewRequest(strings.Replace(s.method, "HEAD", "GET", 1), path, nil)
		var match mux.RouteMatch
		if !router.Match(req, &match) || match.Route == nil {
			t.Errorf("%s: no route", what)
			continue
		}
		tpl, err := pathTemplate(match.Route)
		if err != nil {
			t.Fatal(err)
		}
		tpl = strings.TrimPrefix(tpl, "/api/v1")
		method := strings.ToLower(s.method)
		if method == "head" {
			method = "get" // headAsGet
		}
		op, ok := doc.Paths[tpl][method]
		if !ok {
			t.Errorf("%s: %s %s is not documented", what, s.method, tpl)
			continue
		}
		status := fmt.Sprint(resp.StatusCode)
		r, ok := op.Responses[status]
		if !ok {
			t.Errorf("%s: answered %s, which the document does not list for %s %s", what, status, s.method, tpl)
			continue
		}
		for _, h := range []string{"Location", "Idempotent-Replayed", "Retry-After", "Allow", "Content-Language", "Vary"} {
			if resp.Header.Get(h) != "" && r.Headers[h] == nil {
				t.Errorf("%s: %s carries %s, which the document does not list", what, status, h)
			}
		}
		if s.method == "HEAD" {
			continue
		}
		mt, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
		if _, ok := r.Content[mt]; !ok {
			t.Errorf("%s: %s is %s, which the document does not list (%v)", what, status, mt, keys(r.Content))
			continue
		}
		if _, ok := r.Content[mt]["schema"]; !ok || !strings.Contains(mt, "json") {
			continue
		}
		loc := "openapi.json#/paths/" + ptr(tpl) + "/" + method + "/responses/" + status + "/content/" + ptr(mt) + "/schema"
		sch, err := c.Compile(loc)
		if err != nil {
			t.Errorf("%s: compile %s: %v", what, loc, err)
			continue
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
		if err != nil {
			t.Errorf("%s: body is not JSON: %v", what, err)
			continue
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: %s body does not match the documented schema: %v\n%.500s", what, status, err, body)
		}
	}

	// What no operation can list: a method a path does not answer (405,
	// with Allow) and a path that is no route (404), both problem
	// documents as the document's description says.
	problem, err := c.Compile("openapi.json#/components/schemas/Problem")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"PUT", "/api/v1/certificates", 405, "GET, HEAD, POST"},
		{"GET", "/api/v1/certificates/validate", 405, "POST"},
		{"DELETE", "/api/v1/messages", 405, "GET, HEAD"},
		{"GET", "/api/v1/nothing", 404, ""},
	} {
		resp, body := ts.do(t, "caseworker", s.method, s.path, nil, "Accept-Language", "en")
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
		if err == nil {
			err = problem.Validate(v)
		}
		if resp.StatusCode != s.status || resp.Header.Get("Allow") != s.allow || err != nil {
			t.Errorf("%s %s: %d, Allow %q, %v; want %d, Allow %q, a problem document", s.method, s.path, resp.StatusCode, resp.Header.Get("Allow"), err, s.status, s.allow)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// closeObjects gives every object schema in v that lists properties and
// says nothing of others "additionalProperties": false.
func closeObjects(v any) {
	switch v := v.(type) {
	case map[string]any:
		if props, ok := v["properties"].(map[string]any); ok {
			if _, open := v["additionalProperties"]; !open {
				v["additionalProperties"] = false
			}
			for _, p := range props {
				closeObjects(p)
			}
		}
		for k, x := range v {
			if k != "properties" {
				closeObjects(x)
			}
		}
	case []any:
		for _, x := range v {
			closeObjects(x)
		}
	}
}
