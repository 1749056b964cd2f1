package web

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// casePatient is the patient of full-time-one-period.json.
const casePatient = "197806142381"

// withPeriod returns an fk7804 example with one full-time period, signed
// at signedAt after an examination that day.
func withPeriod(tb testing.TB, example, signedAt, from, to string) []byte {
	tb.Helper()
	var doc map[string]any
	if err := json.Unmarshal(readExample(tb, example), &doc); err != nil {
		tb.Fatal(err)
	}
	doc["signedAt"] = signedAt
	doc["answers"].(map[string]any)["basis"] = []any{map[string]any{"type": "FYSISKUNDERSOKNING", "date": signedAt[:10]}}
	doc["answers"].(map[string]any)["sickLeave"] = []any{map[string]any{"degree": 100, "from": from, "to": to}}
	b, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// mustPost posts body as who and returns the new certificate's id.
func (ts *testServer) mustPost(tb testing.TB, who string, body []byte) string {
	tb.Helper()
	id, err := ts.post(who, body)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// caseHistory stores, for casePatient, 89 days at the test unit and then a
// certificate of another unit that overlaps it by five days and reaches
// day 90 (2026-11-20). It returns their ids.
func caseHistory(tb testing.TB, ts *testServer) (first, second string) {
	tb.Helper()
	first = ts.mustPost(tb, "clinic", withPeriod(tb, "valid/full-time-one-period.json", "2026-08-23T09:00:00+02:00", "2026-08-23", "2026-11-19"))
	second = ts.mustPost(tb, "other-clinic", withUnit(tb, withPeriod(tb, "valid/full-time-one-period.json", "2026-11-15T09:00:00+01:00", "2026-11-15", "2026-12-03"), otherUnit))
	return first, second
}

func TestFlagsAtIntake(t *testing.T) {
	dialects(t, func(t *testing.T, driver string) {
		ts := newTestServer(t, driver)
		first, second := caseHistory(t, ts)
		record := func(id, language string) (codes, messages []string) {
			t.Helper()
			resp, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id, nil, "Accept-Language", language)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d %s", id, resp.StatusCode, b)
			}
			var rec struct{ Flags []flagEntry }
			json.Unmarshal(b, &rec)
			for _, f := range rec.Flags {
				codes, messages = append(codes, f.Code), append(messages, f.Message)
			}
			return codes, messages
		}
		if codes, _ := record(first, "sv"); !slices.Equal(codes, []string{"longFullTimeWithoutMeasures"}) {
			t.Errorf("the first certificate (89 days full time, no measures) has flags %v, want longFullTimeWithoutMeasures", codes)
		}
		codes, sv := record(second, "sv")
		if diff := cmp.Diff([]string{"overlapOtherIssuer", "passesDay90"}, codes); diff != "" {
			t.Errorf("flags mismatch (-want +got):\n%s", diff)
		}
		if len(sv) != 2 || !strings.Contains(sv[1], "Sjukfallet når dag 90") || !strings.Contains(sv[1], "2026-11-20") {
			t.Errorf("Swedish messages = %q", sv)
		}
		if _, en := record(second, "en"); len(en) != 2 || !strings.Contains(en[1], "reaches day 90") {
			t.Errorf("English messages = %q", en)
		}
		// The API's list filters by flag.
		resp, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates?flag=passesDay90", nil)
		if list := string(b); resp.StatusCode != 200 || !strings.Contains(list, second) || strings.Contains(list, first) {
			t.Errorf("flag=passesDay90: %d %s, want %s only", resp.StatusCode, b, second)
		}
		// The issuing unit sees the flags of its own certificate, but not
		// those that rest on another unit's: they would tell it of that
		// unit's certificate for the patient, and name the unit.
		for _, path := range []string{"/api/v1/certificates/" + second, "/api/v1/certificates?patient=19780614-2381"} {
			resp, b := ts.do(t, "other-clinic", "GET", path, nil)
			if resp.StatusCode != 200 || !strings.Contains(string(b), second) || strings.Contains(string(b), "overlapOtherIssuer") ||
				strings.Contains(string(b), "passesDay90") || strings.Contains(string(b), unit) {
				t.Errorf("GET %s as the issuing clinic: %d %s, want its certificate without the flags of other units' certificates", path, resp.StatusCode, b)
			}
		}
		for _, flag := range []string{"overlapOtherIssuer", "passesDay90"} {
			resp, b := ts.do(t, "other-clinic", "GET", "/api/v1/certificates?flag="+flag, nil)
			if resp.StatusCode != 422 || !strings.Contains(string(b), `"pointer":"/flag"`) {
				t.Errorf("flag=%s as a clinic: %d %s, want 422 at /flag", flag, resp.StatusCode, b)
			}
		}
	})
}

func TestPatientCasesAPI(t *testing.T) {
	dialects(t, func(t *testing.T, driver string) {
		ts := newTestServer(t, driver)
		first, second := caseHistory(t, ts)
		type response struct {
			Patient string        `json:"patient"`
			Gap     int           `json:"gap"`
			Cases   []intake.Case `json:"cases"`
		}
		cases := func(who, body string) (int, response, []byte) {
			t.Helper()
			resp, b := ts.do(t, who, "POST", "/api/v1/patients/sick-leave-cases", []byte(body))
			var r response
			json.Unmarshal(b, &r)
			return resp.StatusCode, r, b
		}
		// A caseworker sees every unit's certificates; the id in a short form.
		status, r, b := cases("caseworker", `{"patient": "780614-2381", "at": "2026-11-23"}`)
		if status != 200 || r.Patient != casePatient || r.Gap != 5 || len(r.Cases) != 1 {
			t.Fatalf("caseworker: %d %s", status, b)
		}
		c := r.Cases[0]
		if c.Start.String() != "2026-08-23" || c.End.String() != "2026-12-03" || c.Days != 103 || c.NetDays != 103 ||
			c.Milestones["day90"].String() != "2026-11-20" || !c.Milestones["day180"].IsZero() || c.CurrentDegree == nil || *c.CurrentDegree != 100 ||
			!slices.Equal(c.Certificates, []string{first, second}) {
			t.Errorf("caseworker's case = %s", b)
		}
		if !strings.Contains(string(b), `"milestones":{"day180":null,"day365":null,"day90":"2026-11-20"}`) || !strings.Contains(string(b), `"gaps":[]`) {
			t.Errorf("the case's JSON does not follow the contract: %s", b)
		}
		// A clinic sees its own unit's certificates only.
		for who, want := range map[string]string{"clinic": first, "other-clinic": second} {
			status, r, b := cases(who, `{"patient": "19780614-2381", "at": "2026-11-23", "gap": 0}`)
			if status != 200 || len(r.Cases) != 1 || !slices.Equal(r.Cases[0].Certificates, []string{want}) || r.Gap != 0 {
				t.Errorf("%s: %d %s, want one case of %s", who, status, b, want)
			}
		}
		// 5.0 is the JSON number 5, as in a submission.
		if status, r, b := cases("caseworker", `{"patient": "19780614-2381", "at": "2026-11-23", "gap": 5.0}`); status != 200 || r.Gap != 5 || len(r.Cases) != 1 {
			t.Errorf("gap 5.0: %d %s", status, b)
		}
		// Refusals name the member.
		for body, pointer := range map[string]string{`{"patient": "19780614-2382"}`: "/patient", `{}`: "/patient",
			`{"patient": "19780614-2381", "gap": 91}`: "/gap", `{"patient": "19780614-2381", "gap": "5"}`: "/gap",
			`{"patient": "19780614-2381", "gap": 4.5}`: "/gap", `{"patient": "19780614-2381", "gap": -1}`: "/gap", `{"patient": "19780614-2381", "gap": true}`: "/gap",
			`{"patient": "19780614-2381", "at": "2026-02-30"}`: "/at", `{"patient": "19780614-2381", "id": "x"}`: "/id"} {
			status, _, b := cases("caseworker", body)
			if status != 422 || !strings.Contains(string(b), `"pointer":"`+pointer+`"`) {
				t.Errorf("%s: %d %s, want 422 at %s", body, status, b, pointer)
			}
		}
		// An identity number is refused as in a submission: its code says
		// what is wrong, in either language.
		for body, want := range map[string]string{
			`{"patient": "19780614-2382"}`: `"pointer":"/patient","code":"checksum","message":"Kontrollsiffran stämmer inte."`,
			`{"patient": "7806142381x"}`:   `"pointer":"/patient","code":"format","message":"Värdet har fel format, ÅÅÅÅMMDD-NNNN förväntas."`,
			`{"patient": "19781314-2381"}`: `"pointer":"/patient","code":"invalidDate"`,
			// Blank or null is missing, as blank text in a submission.
			`{"patient": "  "}`:         `"pointer":"/patient","code":"required"`,
			`{"patient": null}`:         `"pointer":"/patient","code":"required"`,
			`{"patient": 197806142381}`: `"pointer":"/patient","code":"format"`,
		} {
			if status, _, b := cases("caseworker", body); status != 422 || !strings.Contains(string(b), want) {
				t.Errorf("%s: %d %s, want 422 with %s", body, status, b, want)
			}
		}
		// A null gap or reference day is one not given: the defaults.
		if status, r, b := cases("caseworker", `{"patient": "19780614-2381", "gap": null, "at": null}`); status != 200 || r.Gap != 5 {
			t.Errorf("gap and at null: %d %s, want 200 with gap 5", status, b)
		}
		// A patient without counted certificates has no cases.
		if status, r, b := cases("caseworker", `{"patient": "19121212-1212"}`); status != 200 || r.Cases == nil || len(r.Cases) != 0 {
			t.Errorf("no certificates: %d %s, want an empty list", status, b)
		}
		// A revoked certificate no longer counts.
		if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates/"+first+"/revoke", []byte(`{"reason": "FEL_PATIENT"}`)); resp.StatusCode != 200 {
			t.Fatalf("revoke: %d %s", resp.StatusCode, b)
		}
		if status, r, b := cases("caseworker", `{"patient": "19780614-2381"}`); status != 200 || len(r.Cases) != 1 || !slices.Equal(r.Cases[0].Certificates, []string{second}) {
			t.Errorf("after revoking %s: %d %s", first, status, b)
		}
		// Every call is in the access log for the patient, naming the caller.
		entries := accessEntries(t, ts, "cases.patient", casePatient)
		for _, e := range entries {
			if e.TokenID == "" || e.Name == "" {
				t.Errorf("access-log entry does not name the caller: %+v", e)
			}
		}
		if len(entries) != 6 { // caseworker, clinic, other-clinic, gap 5.0, gap null, after revoking; refusals read nothing
			t.Errorf("%d cases.patient entries for the patient, want 6", len(entries))
		}
	})
}

// dialects runs fn against SQLite and PostgreSQL.
func dialects(t *testing.T, fn func(t *testing.T, driver string)) {
	for _, d := range []string{store.SQLite, store.Postgres} {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

// TestCasesFollowReplacement: a replaced certificate counts through the
// certificates that replace or complete it (cases.md), on both databases:
// their periods stand in for the original's, the original stays out while
// one of them is not revoked, and counts again once none holds.
func TestCasesFollowReplacement(t *testing.T) {
	dialects(t, func(t *testing.T, driver string) {
		ts := newTestServer(t, driver)
		post := func(from, to, relation string) string {
			t.Helper()
			b := withPeriod(t, "valid/full-time-one-period.json", "2026-02-01T09:00:00+01:00", from, to)
			if relation != "" {
				b = bytes.Replace(b, []byte(`"answers":{`), []byte(`"relation":`+relation+`,"answers":{`), 1)
			}
			return ts.mustPost(t, "clinic", b)
		}
		revoke := func(id string) {
			t.Helper()
			if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates/"+id+"/revoke", []byte(`{"reason": "FEL_PATIENT"}`)); resp.StatusCode != 200 {
				t.Fatalf("revoke %s: %d %s", id, resp.StatusCode, b)
			}
		}
		check := func(step string, wantCerts []string, wantDays int) {
			t.Helper()
			resp, b := ts.do(t, "caseworker", "POST", "/api/v1/patients/sick-leave-cases", []byte(`{"patient": "19780614-2381", "at": "2026-02-05"}`))
			var r struct{ Cases []intake.Case }
			json.Unmarshal(b, &r)
			if resp.StatusCode != 200 || len(r.Cases) != 1 || !slices.Equal(r.Cases[0].Certificates, wantCerts) || r.Cases[0].Days != wantDays {
				t.Errorf("%s: %d %s, want one case of %v with %d days", step, resp.StatusCode, b, wantCerts, wantDays)
			}
		}
		orig := post("2026-02-01", "2026-02-28", "")
		replacing := post("2026-02-01", "2026-02-14", `{"type":"REPLACES","certificate":"`+orig+`"}`)
		check("replaced", []string{replacing}, 14)
		// The API lets a caseworker ask a replaced certificate for a
		// completion (lifecycle.md asks only for an open request).
		if resp, b := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+orig+"/messages", []byte(`{"type": "KOMPLT", "complements": [{"questionId": "32", "text": "Ange perioden."}]}`)); resp.StatusCode != 201 {
			t.Fatalf("KOMPLT: %d %s", resp.StatusCode, b)
		}
		completing := post("2026-02-02", "2026-02-08", `{"type":"COMPLETES","certificate":"`+orig+`"}`)
		check("replaced and completed", []string{replacing, completing}, 14)
		revoke(replacing)
		check("the replacement revoked, the completion holds", []string{completing}, 7)
		revoke(completing)
		check("neither holds", []string{orig}, 28)
	})
}
