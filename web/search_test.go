package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// auditActions returns the access log's entries of one action.
func (ts *testServer) auditActions(t *testing.T, action string) []*intake.AuditEntry {
	t.Helper()
	all, _, err := ts.db.FindAuditEntries(context.Background(), intake.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []*intake.AuditEntry
	for _, e := range all {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// auditSince returns a function that gives the access log's entries
// written since its last call (the first: since auditSince), oldest
// first, each as "action query patient".
func (ts *testServer) auditSince(t *testing.T) func() []string {
	t.Helper()
	seen := map[int64]bool{}
	entries := func() []*intake.AuditEntry {
		all, _, err := ts.db.FindAuditEntries(context.Background(), intake.AuditFilter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		return all
	}
	for _, e := range entries() {
		seen[e.ID] = true
	}
	return func() []string {
		var out []string
		all := entries()
		for i := len(all) - 1; i >= 0; i-- { // newest first
			if e := all[i]; !seen[e.ID] {
				seen[e.ID] = true
				out = append(out, e.Action+" "+e.Query+" "+e.PatientID)
			}
		}
		return out
	}
}

// TestSearchLogsEveryPatientShown: a list naming no patient still writes
// one access-log entry per patient it shows.
func TestSearchLogsEveryPatientShown(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	for _, name := range []string{"valid/full-time-one-period.json", "valid/coordination-number.json", "valid/prognosis-unclear.json"} {
		ts.submit(t, name)
	}
	resp, body := ts.do(t, "caseworker", "GET", "/api/v1/certificates?limit=100", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %d %s", resp.StatusCode, body)
	}
	var list certificateList
	json.Unmarshal(body, &list)
	shown := map[string]bool{}
	for _, it := range list.Items {
		shown[it.Patient.ID] = true
	}
	logged := map[string]bool{}
	for _, e := range ts.auditActions(t, "certificate.search") {
		if e.PatientID == "" {
			t.Errorf("a search entry names no patient: %+v", e)
		}
		logged[e.PatientID] = true
	}
	if len(shown) != 3 || len(logged) != len(shown) {
		t.Errorf("patients shown %v, logged %v; want each of the 3 shown logged once", shown, logged)
	}
	for p := range shown {
		if !logged[p] {
			t.Errorf("patient %s was shown but not logged", p)
		}
	}
}

// TestPostSearch: the filters travel in the body; the patient's id in any
// accepted form finds the certificate; pages continue by cursor; bad
// filters are refused at their pointers.
func TestPostSearch(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.submit(t, "valid/full-time-one-period.json")
	ts.submit(t, "valid/prognosis-unclear.json")
	id := ts.submit(t, "valid/coordination-number.json")
	c, err := ts.db.FindCertificateByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	short := c.Patient.ID[2:8] + "-" + c.Patient.ID[8:] // YYMMDD-NNNN
	resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/search", []byte(`{"patient": "`+short+`"}`))
	var list certificateList
	json.Unmarshal(body, &list)
	if resp.StatusCode != http.StatusOK || len(list.Items) != 1 || list.Items[0].ID != id {
		t.Fatalf("search by %s: %d %s, want certificate %s", short, resp.StatusCode, body, id)
	}
	entries := ts.auditActions(t, "certificate.search")
	if len(entries) != 1 || entries[0].PatientID != c.Patient.ID || strings.Contains(entries[0].Query, c.Patient.ID) {
		t.Errorf("access log %+v, want one entry naming %s outside the query", entries, c.Patient.ID)
	}

	// Pages by cursor.
	seen := map[string]bool{}
	cursor := ""
	for page := 0; page < 4; page++ {
		req := `{"limit": 1}`
		if cursor != "" {
			req = `{"limit": 1, "cursor": "` + cursor + `"}`
		}
		resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/search", []byte(req))
		var l certificateList
		json.Unmarshal(body, &l)
		if resp.StatusCode != http.StatusOK || len(l.Items) > 1 || l.Next != "" {
			t.Fatalf("page %d: %d %s", page, resp.StatusCode, body)
		}
		for _, it := range l.Items {
			seen[it.ID] = true
		}
		if cursor = l.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 3 {
		t.Errorf("pages showed %d certificates, want 3", len(seen))
	}

	for _, tt := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"patient": "19121212-1213"}`, 422, `"pointer":"/patient","code":"checksum","message":"Kontrollsiffran stämmer inte."`},
		{`{"patient": 191212121212}`, 422, `"pointer":"/patient"`},
		{`{"colour": "red"}`, 422, `"pointer":"/colour"`},
		{`{"colour": 1}`, 422, `"pointer":"/colour","code":"invalid","message":"Okänd sökparameter."`},
		{`{"limit": true}`, 422, `"pointer":"/limit","code":"type","message":"Uppgiften har fel typ, ett heltal förväntas."`},
		{`{"limit": "2"}`, 422, `"pointer":"/limit","code":"type"`},
		{`{"unit": "garbage"}`, 422, `"pointer":"/unit","code":"invalid"`},
		{`{"careProvider": "region"}`, 422, `"pointer":"/careProvider","code":"invalid"`},
		{`{"status": "handled"}`, 200, `"items"`},
		{`{"messages": "answered"}`, 200, `"items"`},
		{`{"contactRequested": true}`, 200, `"items"`}, // as "true" in a URL
		{`{"contactRequested": "false"}`, 200, `"items"`},
		{`{"contactRequested": 1}`, 422, `"pointer":"/contactRequested","code":"type","message":"Uppgiften har fel typ, sant eller falskt förväntas."`},
		{`{"status": true}`, 422, `"pointer":"/status","code":"type"`},
		{`{"limit": 0}`, 422, `"pointer":"/limit"`},
		{`{"status": ["received"]}`, 422, `"pointer":"/status"`},
		{`["patient"]`, 400, `"status":400`},
		{`{"patient": "1", "patient": "2"}`, 400, `"status":400`},
	} {
		resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/search", []byte(tt.body))
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("POST search %s: %d %s, want %d with %s", tt.body, resp.StatusCode, body, tt.status, tt.want)
		}
	}
	if resp, _ := ts.do(t, "other-clinic", "POST", "/api/v1/certificates/search", []byte(`{"patient": "`+short+`"}`)); resp.StatusCode != 200 {
		t.Errorf("another clinic's search: %d", resp.StatusCode)
	} else if _, body := ts.do(t, "other-clinic", "POST", "/api/v1/certificates/search", []byte(`{}`)); strings.Contains(string(body), id) {
		t.Errorf("another clinic sees certificate %s", id)
	}

	// The access log by POST, the read itself logged with its patient.
	resp, body = ts.do(t, "admin", "POST", "/api/v1/audit/search", []byte(`{"patient": "`+short+`"}`))
	var audit auditList
	json.Unmarshal(body, &audit)
	if resp.StatusCode != http.StatusOK || len(audit.Items) == 0 {
		t.Fatalf("audit search: %d %s", resp.StatusCode, body)
	}
	for _, e := range audit.Items {
		if e.PatientID != c.Patient.ID {
			t.Errorf("audit search for %s returned an entry of %s", c.Patient.ID, e.PatientID)
		}
	}
	if reads := ts.auditActions(t, "audit.read"); len(reads) != 1 || reads[0].PatientID != c.Patient.ID {
		t.Errorf("audit reads %+v, want one naming %s", reads, c.Patient.ID)
	}
}

// TestCodeSearchAPI: the code search finds codes by prefix and by title,
// and refuses a bad limit and an unknown parameter as every list does.
func TestCodeSearchAPI(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	for _, tt := range []struct {
		path   string
		status int
		want   string
	}{
		{"/api/v1/codes/icd10se?q=F32", 200, `"code":"F32`},
		{"/api/v1/codes/icd10se?q=F32&limit=1", 200, `"items":[{`},
		{"/api/v1/codes/icd10se?limit=0", 422, `"pointer":"/limit"`},
		{"/api/v1/codes/icd10se?q=F32&bogus=1", 422, `"pointer":"/bogus"`},
		{"/api/v1/codes/nolist?q=F32", 404, `"status":404`},
	} {
		resp, body := ts.do(t, "clinic", "GET", tt.path, nil)
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("GET %s: %d %s, want %d with %s", tt.path, resp.StatusCode, body, tt.status, tt.want)
		}
	}
}

// TestParametersGivenEmptyOrTwice: a patient filter given empty, a
// parameter given twice, the PDF's mistyped copy and any parameter of a
// list that takes none are refused, not read as absent: each would have
// answered for more than was asked (every patient, patient A alone, the
// whole certificate for the employer's copy, the whole list for a page).
func TestParametersGivenEmptyOrTwice(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	for _, tt := range []struct {
		who, method, path, body string
		pointer, code           string
	}{
		{"caseworker", "GET", "/api/v1/certificates?patient=", "", "/patient", "required"},
		{"caseworker", "GET", "/api/v1/certificates?patient=%20", "", "/patient", "required"},
		{"caseworker", "POST", "/api/v1/certificates/search", `{"patient": ""}`, "/patient", "required"},
		{"caseworker", "POST", "/api/v1/certificates/search", `{"patient": null}`, "/patient", "required"},
		{"admin", "POST", "/api/v1/audit/search", `{"patient": ""}`, "/patient", "required"},
		{"admin", "GET", "/api/v1/audit?patient=", "", "/patient", "required"},
		{"caseworker", "GET", "/api/v1/certificates?patient=191212121212&patient=194011182396", "", "/patient", "invalid"},
		{"caseworker", "GET", "/api/v1/certificates?status=received&status=revoked", "", "/status", "invalid"},
		{"caseworker", "GET", "/api/v1/messages?status=open&status=closed", "", "/status", "invalid"},
		{"caseworker", "GET", "/api/v1/certificates/" + id + "/pdf?Copy=employer", "", "/Copy", "invalid"},
		{"caseworker", "GET", "/api/v1/certificates/" + id + "/pdf?copy=&copy=employer", "", "/copy", "invalid"},
		{"caseworker", "GET", "/api/v1/certificates/" + id + "/pdf?foo=1", "", "/foo", "invalid"},
		{"caseworker", "GET", "/api/v1/certificates/" + id + "/events?limit=1", "", "/limit", "invalid"},
		{"clinic", "GET", "/api/v1/certificates/" + id + "/messages?status=open", "", "/status", "invalid"},
		{"clinic", "GET", "/api/v1/templates?template=fk7804", "", "/template", "invalid"},
	} {
		var body []byte
		if tt.body != "" {
			body = []byte(tt.body)
		}
		resp, b := ts.do(t, tt.who, tt.method, tt.path, body)
		wantProblem(t, tt.method+" "+tt.path+" "+tt.body, resp, b, 422, tt.pointer, tt.code)
	}
	// A refused read is not one: the access log has none of them.
	for _, action := range []string{"certificate.events", "message.list"} {
		if got := ts.auditActions(t, action); len(got) != 0 {
			t.Errorf("%d %s entries after refusals, want none", len(got), action)
		}
	}
	// Without the parameter, or with a patient, each still answers.
	for _, path := range []string{"/api/v1/certificates", "/api/v1/certificates?patient=191212121212", "/api/v1/certificates/" + id + "/pdf", "/api/v1/certificates/" + id + "/pdf?copy=employer",
		"/api/v1/certificates/" + id + "/events", "/api/v1/certificates/" + id + "/messages", "/api/v1/templates"} {
		if resp, b := ts.do(t, "caseworker", "GET", path, nil); resp.StatusCode != 200 {
			t.Errorf("GET %s: %d %.200s", path, resp.StatusCode, b)
		}
	}
}

// TestPostSearchContactRequested: contactRequested as a JSON boolean
// filters as the URL's "true" does.
func TestPostSearchContactRequested(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.mustUnits(t)
	asking := ts.submit(t, "valid/all-optional-fields.json")
	other := ts.submit(t, "valid/full-time-one-period.json")
	for body, want := range map[string]string{`{"contactRequested": true}`: asking, `{"contactRequested": false}`: other} {
		resp, b := ts.do(t, "caseworker", "POST", "/api/v1/certificates/search", []byte(body))
		var list certificateList
		json.Unmarshal(b, &list)
		if resp.StatusCode != http.StatusOK || len(list.Items) != 1 || list.Items[0].ID != want {
			t.Errorf("%s: %d %s, want %s alone", body, resp.StatusCode, b, want)
		}
	}
}

// TestReceivedSinceBeyondYear9999: receivedSince at an instant past the
// year 9999 in UTC (a valid RFC 3339 time with a negative offset) finds
// nothing, as on PostgreSQL; SQLite's text order found every certificate.
func TestReceivedSinceBeyondYear9999(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.submit(t, "valid/full-time-one-period.json")
	for since, want := range map[string]int{"9999-12-31T23:59:59-23:59": 0, "0000-01-01": 1} {
		resp, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates?receivedSince="+url.QueryEscape(since), nil)
		var got certificateList
		if err := json.Unmarshal(b, &got); err != nil || resp.StatusCode != http.StatusOK || len(got.Items) != want {
			t.Errorf("receivedSince=%s: %d, %d items (%v), want 200 with %d", since, resp.StatusCode, len(got.Items), err, want)
		}
	}
}

// TestCursorBelongsToItsList: a cursor is read only by the list that made
// it; given to another (certificates, messages, the access log, by GET or
// by POST search), it is refused as an unreadable cursor is (422 at
// cursor), not read as a position in the other list. A cursor made before
// cursors named their list ("time|id") is still read by its own list.
func TestCursorBelongsToItsList(t *testing.T) {
	dialects(t, func(t *testing.T, driver string) {
		ts := newTestServer(t, driver)
		var certs []string
		for range 2 {
			certs = append(certs, ts.submit(t, "valid/full-time-one-period.json"))
		}
		var sent []intake.Message
		for _, id := range certs {
			resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+id+"/messages", []byte(`{"type": "KONTKT", "text": "Ring mig."}`))
			var m intake.Message
			if json.Unmarshal(body, &m); resp.StatusCode != http.StatusCreated {
				t.Fatalf("message: %d %s", resp.StatusCode, body)
			}
			sent = append(sent, m)
		}
		lists := []struct{ name, who, get, search string }{
			{"certificates", "caseworker", "/api/v1/certificates", "/api/v1/certificates/search"},
			{"messages", "caseworker", "/api/v1/messages", ""},
			{"audit", "admin", "/api/v1/audit", "/api/v1/audit/search"},
		}
		cursors := map[string]string{}
		for _, l := range lists {
			resp, body := ts.do(t, l.who, "GET", l.get+"?limit=1", nil)
			var page struct{ Next string }
			json.Unmarshal(body, &page)
			next, err := url.Parse(page.Next)
			if resp.StatusCode != http.StatusOK || err != nil || next.Query().Get("cursor") == "" {
				t.Fatalf("%s: %d %s, want a next page", l.name, resp.StatusCode, body)
			}
			cursors[l.name] = next.Query().Get("cursor")
		}
		unreadable := func(l struct{ name, who, get, search string }) ProblemDocument {
			t.Helper()
			_, body := ts.do(t, l.who, "GET", l.get+"?cursor=garbage", nil)
			var doc ProblemDocument
			json.Unmarshal(body, &doc)
			return doc
		}
		for _, l := range lists {
			want := unreadable(l)
			if len(want.Errors) != 1 || want.Errors[0].Pointer != "/cursor" {
				t.Fatalf("%s: an unreadable cursor is %+v, want one problem at /cursor", l.name, want)
			}
			for from, cursor := range cursors {
				resp, body := ts.do(t, l.who, "GET", l.get+"?limit=1&cursor="+url.QueryEscape(cursor), nil)
				if from == l.name {
					if resp.StatusCode != http.StatusOK {
						t.Errorf("%s with its own cursor: %d %s", l.name, resp.StatusCode, body)
					}
					continue
				}
				var got ProblemDocument
				json.Unmarshal(body, &got)
				if resp.StatusCode != 422 || !cmp.Equal(want, got) {
					t.Errorf("GET %s with a %s cursor: %d %s, want 422 as an unreadable cursor: %+v", l.name, from, resp.StatusCode, body, want)
				}
				if l.search == "" {
					continue
				}
				resp, body = ts.do(t, l.who, "POST", l.search, []byte(`{"cursor": "`+cursor+`"}`))
				if resp.StatusCode != 422 || !bytes.Contains(body, []byte(`"pointer":"/cursor"`)) {
					t.Errorf("POST %s with a %s cursor: %d %s, want 422 at /cursor", l.search, from, resp.StatusCode, body)
				}
			}
		}

		// A cursor of an earlier version: "time|id", naming no list.
		c, err := ts.db.FindCertificateByID(context.Background(), certs[1])
		if err != nil {
			t.Fatal(err)
		}
		legacy := map[string]string{
			"certificates": base64.RawURLEncoding.EncodeToString([]byte(c.ReceivedAt.UTC().Format(time.RFC3339Nano) + "|" + c.ID)),
			"messages":     base64.RawURLEncoding.EncodeToString([]byte(sent[1].SentAt.UTC().Format(time.RFC3339Nano) + "|" + sent[1].ID)),
		}
		for _, l := range lists[:2] {
			for from, cursor := range legacy {
				resp, body := ts.do(t, l.who, "GET", l.get+"?cursor="+url.QueryEscape(cursor), nil)
				var page struct{ Items []struct{ ID string } }
				json.Unmarshal(body, &page)
				switch {
				case from == l.name && (resp.StatusCode != http.StatusOK || len(page.Items) != 1):
					t.Errorf("%s with its own cursor of an earlier version: %d %s, want the one item after it", l.name, resp.StatusCode, body)
				case from == l.name && l.name == "certificates" && page.Items[0].ID != certs[0]:
					t.Errorf("certificates after the earlier version's cursor: %s, want %s", page.Items[0].ID, certs[0])
				case from == l.name && l.name == "messages" && page.Items[0].ID != sent[0].ID:
					t.Errorf("messages after the earlier version's cursor: %s, want %s", page.Items[0].ID, sent[0].ID)
				case from != l.name && resp.StatusCode != 422:
					t.Errorf("%s with a %s cursor of an earlier version: %d %s, want 422", l.name, from, resp.StatusCode, body)
				}
			}
		}
	})
}

// TestSearchLimitWholeNumber: a search body's limit is a JSON number, and
// a whole one is taken however it is written (1.0, 1e0, 2E0), as intake
// takes a submission's; one that is not whole, or out of range, is 422 at
// limit, as is a string.
func TestSearchLimitWholeNumber(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	for range 3 {
		ts.submit(t, "valid/full-time-one-period.json")
	}
	for _, tt := range []struct {
		who, path, limit string
		items            int // -1: refused
	}{
		{"caseworker", "/api/v1/certificates/search", `1`, 1},
		{"caseworker", "/api/v1/certificates/search", `1.0`, 1},
		{"caseworker", "/api/v1/certificates/search", `1e0`, 1},
		{"caseworker", "/api/v1/certificates/search", `2E0`, 2},
		{"caseworker", "/api/v1/certificates/search", `0.2e1`, 2},
		{"caseworker", "/api/v1/certificates/search", `5e2`, 3},
		{"caseworker", "/api/v1/certificates/search", `1.5`, -1},
		{"caseworker", "/api/v1/certificates/search", `0.0`, -1},
		{"caseworker", "/api/v1/certificates/search", `-1.0`, -1},
		{"caseworker", "/api/v1/certificates/search", `501.0`, -1},
		{"caseworker", "/api/v1/certificates/search", `1e300`, -1},
		{"caseworker", "/api/v1/certificates/search", `"1"`, -1},
		{"admin", "/api/v1/audit/search", `1.0`, 1},
		{"admin", "/api/v1/audit/search", `1.5`, -1},
	} {
		resp, body := ts.do(t, tt.who, "POST", tt.path, []byte(`{"limit": `+tt.limit+`}`))
		if tt.items < 0 {
			code := "invalid"
			if strings.HasPrefix(tt.limit, `"`) {
				code = "type"
			}
			wantProblem(t, tt.path+" limit "+tt.limit, resp, body, 422, "/limit", code)
			continue
		}
		var page struct{ Items []json.RawMessage }
		if json.Unmarshal(body, &page); resp.StatusCode != http.StatusOK || len(page.Items) != tt.items {
			t.Errorf("%s limit %s: %d, %d items, want 200 with %d: %s", tt.path, tt.limit, resp.StatusCode, len(page.Items), tt.items, body)
		}
	}
}
