package intake_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/intyg/intyg/intake"
)

// problemCodes is "pointer code" for each problem, in order.
func problemCodes(ps intake.Problems) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Pointer+" "+p.Code)
	}
	return out
}

// complements is a completion request's complements naming n questions.
func complements(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = `{"questionId": "32", "text": "Ange grad."}`
	}
	return "[" + strings.Join(items, ", ") + "]"
}

// TestParseMessage checks a message request against every rule of the
// contract (lifecycle.md, Messages): types, complements 1–20 naming the
// template's questions, texts of at most 3500 characters and required
// unless complements are given, and replyBy not before today.
func TestParseMessage(t *testing.T) {
	today := intake.DateOf(testNow) // 2026-11-23
	isQuestion := func(id string) bool { return id == "32" || id == "35" }
	long := strings.Repeat("å", intake.MaxMessageText)
	tests := []struct {
		name string
		doc  string
		want []string // problems; nil: accepted
	}{
		{"a completion request", `{"type": "KOMPLT", "text": "Mer.", "replyBy": "2026-12-10", "complements": [{"questionId": "32", "text": "Ange grad."}]}`, nil},
		{"a completion request needs no text", `{"type": "KOMPLT", "complements": [{"questionId": "35", "text": "?"}]}`, nil},
		{"20 complements", `{"type": "KOMPLT", "complements": ` + complements(20) + `}`, nil},
		{"21 complements", `{"type": "KOMPLT", "complements": ` + complements(21) + `}`, []string{"/complements maxItems"}},
		{"no complements", `{"type": "KOMPLT", "complements": []}`, []string{"/complements minItems"}},
		{"complements missing", `{"type": "KOMPLT", "text": "?"}`, []string{"/complements required"}},
		{"an unknown question", `{"type": "KOMPLT", "complements": [{"questionId": "32", "text": "?"}, {"questionId": "99", "text": "?"}]}`, []string{"/complements/1/questionId unknownQuestion"}},
		{"a complement without text", `{"type": "KOMPLT", "complements": [{"questionId": "32", "text": "  "}]}`, []string{"/complements/0/text required"}},
		{"a complement text of 3500", `{"type": "KOMPLT", "complements": [{"questionId": "32", "text": "` + long + `"}]}`, nil},
		{"a complement text of 3501", `{"type": "KOMPLT", "complements": [{"questionId": "32", "text": "` + long + `x"}]}`, []string{"/complements/0/text maxLength"}},
		{"a complement without a question", `{"type": "KOMPLT", "complements": [{"text": "?"}]}`, []string{"/complements/0/questionId required"}},
		{"a contact", `{"type": "KONTKT", "text": "Ring."}`, nil},
		{"a blank member the contract does not have", `{"type": "KONTKT", "text": "Ring.", "x": " "}`, []string{"/x notAllowed"}},
		{"a blank type", `{"type": " ", "text": "Ring."}`, []string{"/type required"}},
		{"a reconciliation meeting", `{"type": "AVSTMN", "text": "Möte?"}`, nil},
		{"other", `{"type": "OVRIGT", "text": "` + long + `"}`, nil},
		{"a text of 3501", `{"type": "OVRIGT", "text": "` + long + `x"}`, []string{"/text maxLength"}},
		{"a contact without text", `{"type": "KONTKT", "text": " "}`, []string{"/text required"}},
		{"complements on a contact", `{"type": "KONTKT", "text": "Ring.", "complements": [{"questionId": "32", "text": "?"}]}`, []string{"/complements notAllowed"}},
		{"an unknown type", `{"type": "FRAGA", "text": "?"}`, []string{"/type enum"}},
		{"no type", `{"text": "?"}`, []string{"/type required"}},
		{"reply by today", `{"type": "OVRIGT", "text": "?", "replyBy": "2026-11-23"}`, nil},
		{"reply by yesterday", `{"type": "OVRIGT", "text": "?", "replyBy": "2026-11-22"}`, []string{"/replyBy dateInPast"}},
		{"reply by no date", `{"type": "OVRIGT", "text": "?", "replyBy": "2026-02-30"}`, []string{"/replyBy invalidDate"}},
		{"an unknown member", `{"type": "OVRIGT", "text": "?", "urgent": true}`, []string{"/urgent notAllowed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal([]byte(tt.doc), &doc); err != nil {
				t.Fatal(err)
			}
			m, ps := intake.ParseMessage(doc, isQuestion, today)
			if diff := cmp.Diff(tt.want, problemCodes(ps)); diff != "" {
				t.Fatalf("ParseMessage() problems mismatch (-want +got):\n%s", diff)
			}
			if tt.want == nil && (m == nil || m.Status != intake.MessageOpen) {
				t.Errorf("ParseMessage() = %+v, want an open message", m)
			}
		})
	}
}

// TestParseAnswer checks an answer against the contract: a text (≤ 3500)
// for KONTKT, AVSTMN and OVRIGT; for KOMPLT a reason it cannot be
// completed with a text of at most 500, and a plain text is refused at
// /cannotComplete.
func TestParseAnswer(t *testing.T) {
	text := func(n int) string { return strings.Repeat("ö", n) }
	tests := []struct {
		name string
		typ  intake.MessageType
		doc  map[string]any
		want []string
	}{
		{"a text answer", intake.MessageContact, map[string]any{"text": "Ja."}, nil},
		{"a text of 3500", intake.MessageReconciliation, map[string]any{"text": text(3500)}, nil},
		{"a text of 3501", intake.MessageOther, map[string]any{"text": text(3501)}, []string{"/text maxLength"}},
		{"no text", intake.MessageContact, map[string]any{"text": "   "}, []string{"/text required"}},
		{"a blank member the contract does not have", intake.MessageContact, map[string]any{"text": "Ja.", "x": ""}, []string{"/x notAllowed"}},
		{"a blank reason", intake.MessageCompletion, map[string]any{"cannotComplete": " ", "text": "?"}, []string{"/cannotComplete required"}},
		{"cannotComplete on a contact", intake.MessageContact, map[string]any{"text": "Ja.", "cannotComplete": "NO_FURTHER_MED_INFO"}, []string{"/cannotComplete notAllowed"}},
		{"cannot complete: no further information", intake.MessageCompletion, map[string]any{"cannotComplete": "NO_FURTHER_MED_INFO", "text": text(500)}, nil},
		{"cannot complete: not responsible", intake.MessageCompletion, map[string]any{"cannotComplete": "NO_RESP_MEDICAL_CONTENT", "text": "Annan läkare."}, nil},
		{"cannot complete with a text of 501", intake.MessageCompletion, map[string]any{"cannotComplete": "NO_FURTHER_MED_INFO", "text": text(501)}, []string{"/text maxLength"}},
		{"cannot complete without a text", intake.MessageCompletion, map[string]any{"cannotComplete": "NO_FURTHER_MED_INFO"}, []string{"/text required"}},
		{"an unknown reason", intake.MessageCompletion, map[string]any{"cannotComplete": "BUSY", "text": "?"}, []string{"/cannotComplete enum"}},
		{"a plain text answer to a completion request", intake.MessageCompletion, map[string]any{"text": "Bara text."}, []string{"/cannotComplete required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ps := intake.ParseAnswer(tt.doc, tt.typ)
			if diff := cmp.Diff(tt.want, problemCodes(ps)); diff != "" {
				t.Fatalf("ParseAnswer() problems mismatch (-want +got):\n%s", diff)
			}
			if tt.want == nil && a == nil {
				t.Error("ParseAnswer() gave no answer")
			}
		})
	}
}

// TestCheckRelation walks the contract's table of relations: where each
// is allowed, and which refusal (status and code) each state gets.
func TestCheckRelation(t *testing.T) {
	const unit, patient = "SE2321000016-7P0C", "197806142381"
	target := func(status intake.Status, openRequests int) intake.RelationTarget {
		return intake.RelationTarget{Found: true, Template: "fk7804", Version: "2.0", PatientID: patient, Unit: unit, Status: status, OpenCompletionRequests: openRequests}
	}
	olderVersion := func(status intake.Status, openRequests int) intake.RelationTarget {
		x := target(status, openRequests)
		x.Version = "1.0"
		return x
	}
	tests := []struct {
		typ    intake.RelationType
		target intake.RelationTarget
		want   string // "" accepted; else "CODE pointer problem"
	}{
		{intake.RelationReplaces, target(intake.StatusReceived, 0), ""},
		{intake.RelationReplaces, target(intake.StatusHandled, 0), ""},
		{intake.RelationReplaces, target(intake.StatusReplaced, 0), "ECONFLICT  certificateReplaced"},
		{intake.RelationReplaces, target(intake.StatusRevoked, 0), "ECONFLICT  certificateRevoked"},
		{intake.RelationReplaces, target(intake.StatusReceived, 1), "ECONFLICT  completionRequestOpen"},
		{intake.RelationCompletes, target(intake.StatusReceived, 1), ""},
		{intake.RelationCompletes, target(intake.StatusHandled, 2), ""},
		{intake.RelationCompletes, target(intake.StatusReceived, 0), "ECONFLICT  noOpenCompletionRequest"},
		{intake.RelationCompletes, target(intake.StatusReplaced, 0), "ECONFLICT  noOpenCompletionRequest"},
		{intake.RelationCompletes, target(intake.StatusReplaced, 1), ""}, // asked after it was replaced
		{intake.RelationCompletes, target(intake.StatusRevoked, 0), "ECONFLICT  certificateRevoked"},
		{intake.RelationRenews, target(intake.StatusReceived, 0), ""},
		{intake.RelationRenews, target(intake.StatusReplaced, 0), ""},
		{intake.RelationRenews, target(intake.StatusHandled, 1), ""},
		{intake.RelationRenews, target(intake.StatusRevoked, 0), "ECONFLICT  certificateRevoked"},
		{intake.RelationReplaces, intake.RelationTarget{}, "EINVALID /relation/certificate notFound"},
		{intake.RelationRenews, func() intake.RelationTarget {
			x := target(intake.StatusReceived, 0)
			x.Unit = "SE2321000016-9Z9Z"
			return x
		}(), "EINVALID /relation/certificate notFound"},
		{intake.RelationRenews, func() intake.RelationTarget {
			x := target(intake.StatusReceived, 0)
			x.PatientID = "191212121212"
			return x
		}(), "EINVALID /relation relationMismatch"},
		{intake.RelationCompletes, func() intake.RelationTarget { x := target(intake.StatusReceived, 1); x.Template = "fk7810"; return x }(), "EINVALID /relation relationMismatch"},
		// A replacement or completion is of the original's version; a
		// renewal may be of any.
		{intake.RelationReplaces, olderVersion(intake.StatusReceived, 0), "EINVALID /relation relationMismatch"},
		{intake.RelationCompletes, olderVersion(intake.StatusReceived, 1), "EINVALID /relation relationMismatch"},
		{intake.RelationRenews, olderVersion(intake.StatusReceived, 0), ""},
		// An unknown original says notFound even when it is also revoked.
		{intake.RelationReplaces, func() intake.RelationTarget {
			x := target(intake.StatusRevoked, 0)
			x.Unit = "SE2321000016-9Z9Z"
			return x
		}(), "EINVALID /relation/certificate notFound"},
	}
	// Signed on the pages, one certificate stays in force: a replaced one
	// is not completed again, even while a request is open.
	pages := len(tests)
	tests = append(tests, []struct {
		typ    intake.RelationType
		target intake.RelationTarget
		want   string
	}{
		{intake.RelationCompletes, target(intake.StatusReplaced, 1), "ECONFLICT  certificateReplaced"},
		{intake.RelationCompletes, target(intake.StatusReplaced, 0), "ECONFLICT  noOpenCompletionRequest"},
		{intake.RelationCompletes, target(intake.StatusReceived, 1), ""},
		{intake.RelationReplaces, target(intake.StatusReplaced, 0), "ECONFLICT  certificateReplaced"},
		{intake.RelationRenews, target(intake.StatusReplaced, 0), ""},
	}...)
	codeNames := map[string]string{intake.ECONFLICT: "ECONFLICT", intake.EINVALID: "EINVALID"}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d %s of %s", i, tt.typ, tt.target.Status), func(t *testing.T) {
			c := &intake.Certificate{Template: "fk7804", Version: "2.0", Relation: &intake.Relation{Type: tt.typ, Certificate: "orig"}, OneInForce: i >= pages}
			c.Patient.ID, c.Issuer.Unit.HSAID = patient, unit
			err := intake.CheckRelation(c, tt.target)
			got := ""
			if err != nil {
				e := err.(*intake.Error)
				if len(e.Problems) != 1 {
					t.Fatalf("CheckRelation() = %v, want one problem", err)
				}
				got = codeNames[e.Code] + " " + e.Problems[0].Pointer + " " + e.Problems[0].Code
			}
			if got != tt.want {
				t.Errorf("CheckRelation() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestWithRelationProblems: a refused submission's refusal also lists
// what is wrong with its relation, as CheckRelation would find it, and
// only what its envelope can decide.
func TestWithRelationProblems(t *testing.T) {
	eng := mustEngine(t)
	const unit, patient = "SE2321000016-7P0C", "191212121212"
	found := intake.RelationTarget{Found: true, Template: "fk7804", Version: "2.0", PatientID: patient, Unit: unit, Status: intake.StatusReceived}
	with := func(f func(*intake.RelationTarget)) intake.RelationTarget { x := found; f(&x); return x }
	bad := map[string]any{"/patient/name": nil, "/relation": map[string]any{"type": "REPLACES", "certificate": "orig"}}
	change := func(more map[string]any) map[string]any {
		m := maps.Clone(bad)
		maps.Copy(m, more)
		return m
	}
	tests := []struct {
		name    string
		changes map[string]any
		target  intake.RelationTarget
		want    []string
	}{
		{"the original as it should be", bad, found, []string{"/patient/name required"}},
		{"no such original", bad, intake.RelationTarget{}, []string{"/patient/name required", "/relation/certificate notFound"}},
		{"another unit's", bad, with(func(x *intake.RelationTarget) { x.Unit = "SE2321000016-9Z9Z" }), []string{"/patient/name required", "/relation/certificate notFound"}},
		{"the unit in lower case is the same", change(map[string]any{"/issuer/unit/hsaId": "se2321000016-7p0c"}), found, []string{"/patient/name required"}},
		{"another patient's", bad, with(func(x *intake.RelationTarget) { x.PatientID = "197806142381" }), []string{"/patient/name required", "/relation relationMismatch"}},
		{"the patient in a short form is the same", change(map[string]any{"/patient/id": "121212+1212"}), found, []string{"/patient/name required"}},
		{"another template's", bad, with(func(x *intake.RelationTarget) { x.Template = "fk7810" }), []string{"/patient/name required", "/relation relationMismatch"}},
		{"another version's, replaced", bad, with(func(x *intake.RelationTarget) { x.Version = "1.0" }), []string{"/patient/name required", "/relation relationMismatch"}},
		{"another version's, renewed", change(map[string]any{"/relation": map[string]any{"type": "RENEWS", "certificate": "orig"}}), with(func(x *intake.RelationTarget) { x.Version = "1.0" }),
			[]string{"/patient/name required"}},
		{"an unknown version decides nothing", change(map[string]any{"/version": "9.9"}), found, []string{"/patient/name required", "/version unknownVersion"}},
		{"a refused identity number decides nothing", change(map[string]any{"/patient/id": "19121212-1213"}), with(func(x *intake.RelationTarget) { x.PatientID = "197806142381" }),
			[]string{"/patient/id checksum", "/patient/name required"}},
		{"a refused relation decides nothing", change(map[string]any{"/relation": map[string]any{"type": "ERSATT", "certificate": "orig"}}), intake.RelationTarget{},
			[]string{"/patient/name required", "/relation/type enum"}},
		{"a revoked original is the store's 409, not intake's", bad, with(func(x *intake.RelationTarget) { x.Status = intake.StatusRevoked }), []string{"/patient/name required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := mutate(t, baseFK7804, tt.changes)
			_, err := eng.Intake(body, testNow)
			doc, derr := eng.Decode(body)
			if err == nil || derr != nil {
				t.Fatalf("Intake() = %v, Decode() = %v; want a refusal of a decodable body", err, derr)
			}
			got := eng.WithRelationProblems(err, doc, tt.target, testNow)
			if diff := cmp.Diff(tt.want, problemCodes(got.(*intake.Error).Problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
	other := intake.Errorf(intake.EMALFORMED, "Not JSON.")
	if got := eng.WithRelationProblems(other, map[string]any{"relation": map[string]any{"type": "REPLACES", "certificate": "orig"}}, intake.RelationTarget{}, testNow); got != other {
		t.Errorf("a refusal other than EINVALID became %v", got)
	}
}

// TestNewRenewal: the renewal is exactly a submission document: the
// envelope for the newest version without signedAt, the answers without
// the cleared ones, and the relation RENEWS.
func TestNewRenewal(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(baseFK7804), &doc); err != nil {
		t.Fatal(err)
	}
	r := intake.NewRenewal("orig", doc, "2.1", []string{"sickLeave", "basis"})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	json.Unmarshal(b, &got)
	if diff := cmp.Diff([]string{"answers", "issuer", "patient", "relation", "template", "version"}, slices.Sorted(maps.Keys(got))); diff != "" {
		t.Errorf("renewal members mismatch (-want +got):\n%s", diff)
	}
	answers := got["answers"].(map[string]any)
	if answers["sickLeave"] != nil || answers["basis"] != nil || answers["diagnoses"] == nil || got["version"] != "2.1" || got["template"] != "fk7804" {
		t.Errorf("renewal = %s", b)
	}
	if diff := cmp.Diff(map[string]any{"type": "RENEWS", "certificate": "orig"}, got["relation"]); diff != "" {
		t.Errorf("relation mismatch (-want +got):\n%s", diff)
	}
	if len(answers)+2 != len(doc["answers"].(map[string]any)) {
		t.Errorf("the renewal has %d answers, want the original's %d less 2", len(answers), len(doc["answers"].(map[string]any)))
	}
}
