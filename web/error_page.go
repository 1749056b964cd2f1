package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/munnerz/goautoneg"

	"github.com/intyg/intyg/intake"
)

// errorPage is what error.html shows: the status, what happened in the
// reader's words, the problems if any, and a way on.
type errorPage struct {
	layout
	Status   int
	Heading  string
	Text     string
	Problems []ProblemEntry
	// SignIn offers the sign-in page as the way on (401).
	SignIn bool
	// Return is the page of this site the request came from, if any: the
	// way back to what the reader was doing (a list with its boxes ticked).
	Return string
	// SwitchUnit is the unit page, coming back here, when what was asked
	// for is the person's at another of their units (a draft).
	SwitchUnit string
	// Back, ReturnLabel and SignInLabel are the link texts.
	Back, ReturnLabel, SignInLabel string
}

// wantsHTML reports whether the client prefers an HTML page to a problem
// document, as a browser's Accept header says; API clients that send no
// Accept, */* or JSON get JSON, and so does everything under /api/,
// whatever it accepts (Java's HttpURLConnection, for one, by default
// prefers text/html).
func wantsHTML(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return false
	}
	return goautoneg.Negotiate(r.Header.Get("Accept"), []string{"application/problem+json", "application/json", "text/html"}) == "text/html"
}

// writeErrorPage writes doc as a Swedish HTML page.
func writeErrorPage(w http.ResponseWriter, r *http.Request, doc ProblemDocument) {
	const lang = "sv"
	key := "page." + strconv.Itoa(doc.Status)
	if !intake.HasText(key) {
		key = "page.500"
		if doc.Status < 500 {
			key = "page.400"
		}
	}
	page := errorPage{
		layout:  layout{Title: intake.Text(key, lang), Lang: lang},
		Status:  doc.Status,
		Heading: intake.Text(key, lang), Text: intake.Text(key+".text", lang),
		Problems: doc.Errors, SignIn: doc.Status == http.StatusUnauthorized,
		Back: intake.Text("page.back", lang), ReturnLabel: intake.Text("page.return", lang), SignInLabel: intake.Text("page.signIn", lang),
	}
	if a := actorFrom(r.Context()); a != nil && a.User != nil {
		// A signed-in person's menu, as on every page: the way on from
		// a refusal is often elsewhere than back.
		page.layout = signedInLayout(r, page.Title)
		page.Lang = lang
	} else {
		page.SignedIn = a != nil
	}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && r.Referer() != "" {
		if p := localPath(ref.RequestURI()); p != "/" && p != r.URL.RequestURI() {
			page.Return = p
		}
	}
	for _, p := range doc.Errors {
		if p.Code == "draftAtOtherUnit" {
			page.SwitchUnit = "/unit?" + url.Values{"next": {r.URL.RequestURI()}}.Encode()
		}
	}
	if err := renderPage(w, doc.Status, "error", page); err != nil {
		http.Error(w, page.Heading, doc.Status)
	}
}
