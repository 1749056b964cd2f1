package web

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// browserAccept is what Chromium sends for a page.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

// TestErrorPagesForBrowsers: a browser gets a Swedish HTML page with the
// status and a way back; an API client gets the problem document.
func TestErrorPagesForBrowsers(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	tests := []struct {
		name    string
		path    string
		cookie  string // a role's session, or ""
		header  []string
		status  int
		wantCT  string
		wantTxt string
	}{
		{"caseworker on the physician's forms", "/forms", "caseworker", []string{"Accept", browserAccept}, 403, "text/html", "Du har inte behörighet"},
		{"a page that does not exist", "/nowhere", "", []string{"Accept", browserAccept}, 404, "text/html", "Sidan finns inte"},
		{"an unknown template's form", "/forms/xx/9.9", "physician", []string{"Accept", browserAccept}, 404, "text/html", "Sidan finns inte"},
		{"in Swedish as every page, a browser set up in English too", "/nowhere", "", []string{"Accept", browserAccept, "Accept-Language", "en-US,en;q=0.9"}, 404, "text/html", "Sidan finns inte"},
		{"an API client asking for English", "/nowhere", "", []string{"Accept-Language", "en"}, 404, "application/problem+json", "There is nothing at"},
		{"an API client without Accept", "/nowhere", "", nil, 404, "application/problem+json", `"status":404`},
		{"an API client asking for JSON", "/api/v1/certificates/AAAAAAAAAAAAAAAAAAAAAA", "", []string{"Accept", "application/json"}, 401, "application/problem+json", `"status":401`},
		{"an API client accepting anything", "/api/v1/certificates/AAAAAAAAAAAAAAAAAAAAAA", "", []string{"Accept", "*/*"}, 401, "application/problem+json", `"status":401`},
		{"a browser on the API without a token: the API's answer", "/api/v1/certificates/AAAAAAAAAAAAAAAAAAAAAA", "", []string{"Accept", browserAccept}, 401, "application/problem+json", `"status":401`},
		{"Java's HttpURLConnection, which prefers text/html", "/api/v1/certificates/AAAAAAAAAAAAAAAAAAAAAA", "", []string{"Accept", "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"}, 401, "application/problem+json", `"status":401`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", ts.URL+tt.path, nil)
			for i := 0; i+1 < len(tt.header); i += 2 {
				req.Header.Set(tt.header[i], tt.header[i+1])
			}
			if tt.cookie != "" {
				req.AddCookie(ts.session(t, tt.cookie))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			body := string(b)
			if resp.StatusCode != tt.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.wantCT) || !strings.Contains(body, tt.wantTxt) {
				t.Fatalf("got %d %s, want %d %s containing %q:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), tt.status, tt.wantCT, tt.wantTxt, body)
			}
			if tt.wantCT == "text/html" && !strings.Contains(body, `id="back" href="/"`) {
				t.Errorf("the error page has no way back:\n%s", body)
			}
		})
	}
}

// TestCatalogueHasEveryKey finds every catalogue key the program's Go code
// and page templates name and checks that the catalogue has it in both
// languages, so that no person reads a bare key.
func TestCatalogueHasEveryKey(t *testing.T) {
	calls := regexp.MustCompile(`"((?:param|page|form|signIn|account|password|hsaId|unit|token|refused|unavailable|request|body|notFound|conflict|invalid|idempotency|lifecycle|compare|print)\.[a-zA-Z0-9.]+)"`)
	// The admin pages' notices are named by the redirect's done parameter.
	done := regexp.MustCompile(`done=([a-zA-Z]+)`)
	var files []string
	for _, dir := range []string{".", filepath.Join("..", "intake"), filepath.Join("..", "store")} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		files = append(files, m...)
	}
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range calls.FindAllStringSubmatch(string(b), -1) {
			found++
			if !intake.HasText(m[1]) {
				t.Errorf("%s names catalogue key %q, which the catalogue lacks", f, m[1])
			}
		}
		for _, m := range done.FindAllStringSubmatch(string(b), -1) {
			found++
			if !intake.HasText("admin.done." + m[1]) {
				t.Errorf("%s names notice %q, but the catalogue lacks admin.done.%s", f, m[1], m[1])
			}
		}
	}
	for _, status := range []string{"400", "401", "403", "404", "405", "409", "413", "415", "422", "429", "500", "503"} {
		for _, key := range []string{"page." + status, "page." + status + ".text"} {
			if !intake.HasText(key) || intake.Text(key, "en") == intake.Text(key, "sv") {
				t.Errorf("catalogue key %s lacks Swedish or English", key)
			}
		}
	}
	if found < 8 {
		t.Errorf("found only %d catalogue keys in the code; the pattern is stale", found)
	}
}

// TestMenuOnFormsAndErrorPages: the physician's main menu is on the
// certificate form (whose signing role had hidden the account's) and on an
// error page a signed-in person meets.
func TestMenuOnFormsAndErrorPages(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	physician := ts.session(t, "physician")
	for _, path := range []string{"/forms/fk7804/2.0", "/forms/fk7810/1.0", "/drafts/AAAAAAAAAAAAAAAAAAAAAA"} {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Accept", browserAccept)
		req.AddCookie(physician)
		resp, page := ts.sendPage(t, req)
		if !strings.Contains(page, `aria-label="Huvudmeny"`) || !strings.Contains(page, `href="/drafts">Mina utkast`) {
			t.Errorf("%s (%d) has no main menu", path, resp.StatusCode)
		}
	}
}
