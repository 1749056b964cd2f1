package web

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intyg/intyg/store"
)

// sendAll writes a whole request, body included, before reading anything,
// as Python's urllib does, and returns the response.
func sendAll(t *testing.T, addr, method, path string, header map[string]string, body []byte) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	var req bytes.Buffer
	req.WriteString(method + " " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n")
	for k, v := range header {
		req.WriteString(k + ": " + v + "\r\n")
	}
	req.WriteString("\r\n")
	req.Write(body)
	if _, err := conn.Write(req.Bytes()); err != nil {
		t.Fatalf("writing the request: %v (the server reset the connection)", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response: %v (the server reset the connection)", err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestTooLargeIsAnAnswerNotAReset: an 8 MB body sent whole before reading
// gets a 413 (problem JSON for the API, an HTML page for the form), and
// nothing is stored.
func TestTooLargeIsAnAnswerNotAReset(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	addr := strings.TrimPrefix(ts.URL, "http://")
	big := bytes.Repeat([]byte("a"), 8<<20)
	resp, body := sendAll(t, addr, "POST", "/api/v1/certificates", map[string]string{
		"Authorization": "Bearer " + ts.tokens["clinic"], "Content-Type": "application/json"}, big)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"status":413`) {
		t.Errorf("API: %d %s, want 413 problem JSON", resp.StatusCode, body)
	}
	form := []byte("submission=x&patient.name=" + strings.Repeat("a", 8<<20))
	resp, body = sendAll(t, addr, "POST", "/forms/fk7804/2.0", map[string]string{
		"Cookie": sessionCookiePlain + "=" + ts.session(t, "physician").Value, "Content-Type": "application/x-www-form-urlencoded", "Accept": browserAccept}, form)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "För mycket data") || !strings.Contains(body, "Ingenting har sparats") {
		t.Errorf("form: %d, want the 413 page:\n%s", resp.StatusCode, body)
	}
	if n := ts.count(t); n != 0 {
		t.Errorf("%d certificates stored, want 0", n)
	}
}

// TestFormsTakeTwiceTheSubmission pins the certificate form's own limit:
// twice the largest submission (its encoding lengthens text). A draft of
// 1.5 times it is saved; one of more than twice it is 413, whether its
// length is declared or not. (That no cap around the handlers cuts a body
// sooner, into a reset connection, TestServeEndToEnd shows on the real
// server.)
func TestFormsTakeTwiceTheSubmission(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	max := mustEngine(t).MaxBytes() // the test server's
	form := infectionForm()
	form.Set("answers.otherInformation", strings.Repeat("a", max*3/2))
	if resp, body := ts.page(t, ts.session(t, "physician"), "POST", "/forms/fk7804/2.0/draft", form); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a draft of 1.5 times the largest submission: %d, want 303 saved\n%s", resp.StatusCode, body)
	}
	for _, declared := range []bool{true, false} {
		form.Set("answers.otherInformation", strings.Repeat("a", max*2+8192))
		req, _ := http.NewRequest("POST", ts.URL+"/forms/fk7804/2.0/draft", strings.NewReader(form.Encode()))
		if !declared {
			req.ContentLength = -1 // sent chunked
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", browserAccept)
		req.AddCookie(ts.session(t, "physician"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("a draft of more than twice it (length declared %v): %d, want 413", declared, resp.StatusCode)
		}
	}
}

// postForm posts a physician form as the clinic's session.
func (ts *testServer) postForm(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", browserAccept)
	req.AddCookie(ts.session(t, "physician"))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// infectionForm is a valid fk7804 form (smittbärarpenning, the shortest).
func infectionForm() url.Values {
	return url.Values{
		"submission": {"sub-1"}, "patient.id": {"191212121212"}, "patient.name": {"Tolvan"},
		"answers.infectionControl": {"true"}, "answers.diagnoses.0.code": {"A08.4"}, "answers.diagnoses.0.description": {"Virusenterit"},
		"answers.sickLeave.100.from": {"2026-11-20"}, "answers.sickLeave.100.to": {"2026-11-23"},
	}
}

// TestFormRefusesInvalidUTF8: the form refuses bytes that are not UTF-8,
// as the API does, and stores nothing.
func TestFormRefusesInvalidUTF8(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	form := infectionForm()
	form.Set("patient.name", "Tolvan \xff\xfe")
	resp, body := ts.postForm(t, "/forms/fk7804/2.0", form)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Begäran kunde inte läsas") {
		t.Errorf("%d, want the 400 page:\n%s", resp.StatusCode, body)
	}
	if n := ts.count(t); n != 0 {
		t.Errorf("%d certificates stored, want 0", n)
	}
}

// TestFormChangedResubmission: the same form sent again with a corrected
// patient under its used submission id is not silently dropped: the form
// comes back (409) saying the first certificate exists and the change is
// not stored, with a new submission id, so that sending it again stores it.
func TestFormChangedResubmission(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	form := infectionForm()
	resp, _ := ts.postForm(t, "/forms/fk7804/2.0", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first post: %d, want 303", resp.StatusCode)
	}
	first := certificateIDFrom(resp.Header.Get("Location"))
	form.Set("patient.id", "194608239986")
	resp, body := ts.postForm(t, "/forms/fk7804/2.0", form)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Formuläret är redan skickat") || !strings.Contains(body, first) ||
		!strings.Contains(body, `value="194608239986"`) || strings.Contains(body, `name="submission" value="sub-1"`) {
		t.Fatalf("changed resubmission: %d, want the form (409) with the message, the new values and a new submission id:\n%s", resp.StatusCode, body)
	}
	if n := ts.count(t); n != 1 {
		t.Fatalf("%d certificates stored, want 1", n)
	}
	form.Set("submission", "sub-2")
	if resp, _ := ts.postForm(t, "/forms/fk7804/2.0", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sent again under the new id: %d, want 303", resp.StatusCode)
	}
	c, err := ts.db.FindCertificateByID(context.Background(), first)
	if err != nil || c.Patient.ID != "191212121212" {
		t.Errorf("the first certificate changed: %+v %v", c, err)
	}
	if n := ts.count(t); n != 2 {
		t.Errorf("%d certificates stored, want 2", n)
	}
}
