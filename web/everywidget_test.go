package web

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
	"github.com/intyg/intyg/store"
)

// everyWidgetEngine loads testdata/everywidget: a template this program has
// never seen that uses every widget kind, its own derive block (degrees
// 100, 60 and 30) and its own issuer roles (NURSE, MIDWIFE).
func everyWidgetEngine(tb testing.TB) (*intake.Engine, *schemas.Template) {
	tb.Helper()
	reg, err := schemas.Load(os.DirFS(filepath.Join("testdata", "everywidget")))
	if err != nil {
		tb.Fatal(err)
	}
	icd, err := intake.LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := intake.NewEngine(reg, icd, 0)
	if err != nil {
		tb.Fatal(err)
	}
	t, _ := reg.Lookup("zz", "1.0")
	return eng, t
}

// TestEveryWidget adds a template that uses every widget kind and renders
// its form page, fills it in as a physician would, and checks the record
// (derived from the template's own derive block) and the PDF.
func TestEveryWidget(t *testing.T) {
	eng, tmpl := everyWidgetEngine(t)
	var used []schemas.Widget
	for _, q := range tmpl.Form.Questions() {
		used = append(used, q.Widget)
	}
	for _, w := range schemas.Widgets() {
		if !slices.Contains(used, w) {
			t.Fatalf("testdata/everywidget does not use widget %s", w)
		}
	}
	ts := newTestServerEngine(t, store.SQLite, eng, testNow)
	ts.mustUnits(t)
	midwife := &intake.User{Username: "berit", Name: "Berit Barnmorska", Role: intake.RolePhysician, HSAID: "SE2321000016-1005",
		SigningRole: "MIDWIFE", Units: []string{unit}}
	if err := ts.db.CreateUser(context.Background(), midwife, testPassword); err != nil {
		t.Fatal(err)
	}
	session, _, err := ts.db.CreateSession(context.Background(), midwife.ID, unit)
	if err != nil {
		t.Fatal(err)
	}
	unitToken, _, err := ts.db.CreateToken(context.Background(), intake.RoleClinic, unit, "zz")
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(method, path string, form url.Values) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, ts.URL+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.AddCookie(&http.Cookie{Name: sessionCookiePlain, Value: session})
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	// The form page draws every question with its widget, and the roles
	// the template allows.
	resp, page := send("GET", "/forms/zz/1.0", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET form: %d\n%s", resp.StatusCode, page)
	}
	for _, q := range tmpl.Form.Questions() {
		if !strings.Contains(page, `id="q-`+q.Field+`"`) || !strings.Contains(page, `data-widget="`+string(q.Widget)+`"`) {
			t.Errorf("the form page has no question %s drawn as %s", q.Field, q.Widget)
		}
	}
	for _, want := range []string{"Berit Barnmorska", "Barnmorska", `name="answers.leave.60.from"`, `name="answers.at.MOVE.text"`, `name="answers.grp.1.note"`, `name="answers.twc.icf"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the form page lacks %s", want)
		}
	}

	// Filled in, it is stored; the record derives what the template says.
	form := url.Values{
		"submission": {"every-widget"}, "patient.id": {"19121212-1212"}, "patient.name": {"Tolvan Tolvansson"},
		"answers.cb": {"true"}, "answers.yn": {"true"}, "answers.ta": {"Därför att"}, "answers.tx": {"Kort"},
		"answers.num": {"7"}, "answers.dt": {"2026-11-20"}, "answers.rd": {"B"}, "answers.cg": {"X", "Y"},
		"answers.cd": {"SEEN"}, "answers.cd.SEEN.date": {"2026-11-20"},
		"answers.dx.0.code": {"f321"}, "answers.dx.0.description": {"Medelsvår depression"},
		"answers.leave.60.from": {"2026-11-23"}, "answers.leave.60.to": {"2026-12-06"},
		"answers.leave.30.from": {"2026-12-07"}, "answers.leave.30.to": {"2026-12-20"},
		"answers.twc.text": {"Trötthet"}, "answers.twc.icf": {"b130, b134"},
		"answers.at": {"MOVE"}, "answers.at.MOVE.text": {"Går långsamt"},
		"answers.grp.0.kind": {"K2"}, "answers.grp.0.when": {"2026-11-01"}, "answers.grp.0.note": {"Anteckningen"},
	}
	resp, page = send("POST", "/forms/zz/1.0", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST form: %d, want 303\n%s", resp.StatusCode, page)
	}
	id := certificateIDFrom(resp.Header.Get("Location"))
	c, err := ts.db.FindCertificateByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	sl := c.SickLeave
	switch {
	case c.Issuer.Role != "MIDWIFE" || c.Issuer.Name != "Berit Barnmorska" || c.Issuer.Unit.Name != "Vårdcentralen Östermalm":
		t.Errorf("issuer = %+v, want the signed-in midwife at her unit", c.Issuer)
	case len(c.Diagnoses) != 1 || c.Diagnoses[0].Code != "F32.1" || c.Diagnoses[0].Title == "":
		t.Errorf("diagnoses = %+v, want F32.1 with its title", c.Diagnoses)
	case sl == nil || len(sl.Periods) != 2 || sl.TotalDays != 28 || sl.NetDays != 12.6 || sl.DaysByDegree["60"] != 14 || sl.DaysByDegree["30"] != 14:
		t.Errorf("sick leave = %+v, want 14 days at 60 %% and 14 at 30 %% (28 days, 12.6 net)", sl)
	}
	got, _ := json.Marshal(c.Answers)
	for _, want := range []string{`"cb":true`, `"yn":true`, `"num":7`, `"rd":"B"`, `"cg":["X","Y"]`, `"cd":[{"date":"2026-11-20","type":"SEEN"}]`,
		`"at":[{"area":"MOVE","text":"Går långsamt"}]`, `"icf":["b130","b134"]`, `"grp":[{"kind":"K2","note":"Anteckningen","when":"2026-11-01"}]`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("answers lack %s:\n%s", want, got)
		}
	}

	// The PDF lays out every answer from the form definition.
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/certificates/"+id+"/pdf", nil)
	req.Header.Set("Authorization", "Bearer "+unitToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET pdf: %d", resp.StatusCode)
	}
	text := pdfText(t, pdf)
	for _, want := range []string{"Provintyg med varje frågetyp", "barnmorska", "Sextio procent", "2026-12-20", "F32.1", "Medelsvår depression",
		"Trötthet", "ICF: b130, b134", "Går långsamt", "Andra sorten", "Anteckningen", "Xylofon", "Därför att"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
}

// pdfText extracts a PDF's text with Debian's pdftotext (poppler-utils);
// outside CI a machine without it skips.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin := requireTool(t, "pdftotext", "poppler-utils")
	f := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// pdfContent returns a PDF's compressed streams (its page contents and
// font file) inflated, for checking what text a page draws without
// pdftotext, which splits rotated text into pieces.
func pdfContent(t *testing.T, pdf []byte) string {
	t.Helper()
	var out strings.Builder
	for _, m := range regexp.MustCompile(`(?s)/FlateDecode[^>]*>>\nstream\n(.*?)\nendstream`).FindAllSubmatch(pdf, -1) {
		zr, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(&out, zr); err != nil {
			t.Fatal(err)
		}
	}
	return out.String()
}
