package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// This file holds what every HTML page shares: the embedded templates and
// assets, the template functions, the layout's data and rendering. Each
// page has its own file (session.go, form_page.go, receipt.go,
// error_page.go) with its handler and its data struct.

//go:embed pages/*.html
var pageFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pageNames are the page templates; each is parsed with the layout and
// the widgets.
var pageNames = []string{"sign_in", "unit", "form_list", "certificate_form", "certificate_receipt", "search", "drafts", "certificate_review", "my_certificates", "certificate_compare", "queue", "messages", "error", "patient_cases", "unit_cases",
	"admin", "admin_people", "admin_units", "admin_tokens", "admin_token_created", "admin_audit"}

// pageTemplates are the parsed pages, parsed once when the program starts;
// a broken template panics then, which TestPagesParse rules out.
var pageTemplates = mustParsePages()

// layout is what the layout of every page needs; each page's data struct
// embeds it.
type layout struct {
	// Title is the page's title, before " – Intyg".
	Title string
	// SignedIn shows the sign-out button.
	SignedIn bool
	// Lang is the page's language ("" is Swedish).
	Lang string
	// Role is the signed-in person's role, for the navigation.
	Role intake.Role
	// Person is the signed-in person's account id: the tab keeps its copy
	// of an unsent form under it (intyg.js), so that no one else who signs
	// in on the tab is shown it.
	Person string
	// DropUnsaved is the action of the certificate form whose post this
	// page answers: the server has the answers now, so the tab drops its
	// copy of them.
	DropUnsaved string
	// DropKept says that this page answers the post of one of its smaller
	// forms (a message, an answer, a revocation; data-keep): the tab drops
	// its copies of them.
	DropKept bool
}

// unitLister finds the registered units, whose names the pages show
// beside HSA-ids.
type unitLister interface {
	FindUnits(ctx context.Context) ([]*intake.CareUnit, error)
}

// unitNames are the registered units' names by HSA-id; a unit not
// registered has none, and a page names it by its HSA-id alone.
func unitNames(ctx context.Context, units unitLister) (map[string]string, error) {
	us, err := units.FindUnits(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(us))
	for _, u := range us {
		names[u.HSAID] = u.Name
	}
	return names, nil
}

// signedInLayout is the layout of a page for the request's signed-in person.
func signedInLayout(r *http.Request, title string) layout {
	l := layout{Title: title, SignedIn: true}
	if a := actorFrom(r.Context()); a != nil {
		l.Role = a.Role()
		if a.User != nil {
			l.Person = a.User.ID
		}
	}
	return l
}

// savedAt names a draft's save as a form carries it (draftSaved), exactly
// as it is stored, so that the save a form was made over can be compared.
func savedAt(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

var pageFuncs = template.FuncMap{
	"actionName": actionName,
	// lowerFirst writes a label inside a sentence ("Beskriv intellektuell
	// funktion"): its first letter in lower case.
	"lowerFirst": func(s string) string {
		r, n := utf8.DecodeRuneInString(s)
		return string(unicode.ToLower(r)) + s[n:]
	},
	"val": func(v url.Values, name string) string { return v.Get(name) },
	"checked": func(v url.Values, name, value string) bool {
		return slices.Contains(v[name], value)
	},
	"opt": optionString,
	// at are the problems at pointer, for showing each beside its input;
	// elsewhere, those at none of the pointers.
	"at": func(ps intake.Problems, pointer string) intake.Problems {
		return slices.DeleteFunc(slices.Clone(ps), func(p intake.Problem) bool { return p.Pointer != pointer })
	},
	"elsewhere": func(ps intake.Problems, pointers ...string) intake.Problems {
		return slices.DeleteFunc(slices.Clone(ps), func(p intake.Problem) bool { return slices.Contains(pointers, p.Pointer) })
	},
	"formAction": formAction,
	// savedAt is a draft's last save as the form sends it back
	// (draftSaved), as exactly as it is stored.
	"savedAt": savedAt,
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
	"seq": func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i
		}
		return s
	},
	"inc":               func(i int) int { return i + 1 },
	"decimal":           intake.SwedishDecimal,
	"field":             newField,
	"local":             localTime,
	"lastValidDay":      intake.LastValidDay,
	"personalID":        intake.FormatPersonalID,
	"statusName":        func(s intake.Status) string { return intake.Text("status."+string(s), "sv") },
	"messageStatusName": func(s intake.MessageStatus) string { return messageStatusNames[s] },
	"periods":           periodsText,
	"join":              strings.Join,
	"hasPrefix":         strings.HasPrefix,
	// optionKey is the item member that holds a list widget's option.
	"optionKey": func(w schemas.Widget) string {
		k, _ := w.Kind()
		return k.OptionKey
	},
	// unknownWidget fails the page for a widget kind widgets.html does not
	// draw; TestEveryWidgetDraws rules it out for the whole vocabulary.
	"unknownWidget": func(w schemas.Widget) (string, error) {
		return "", fmt.Errorf("web: widgets.html does not draw widget %q", w)
	},
}

// periodsText is sick-leave periods as the pages list them: "100 %
// 2026-11-20 – 2026-12-06, 50 % …".
func periodsText(ps []intake.Period) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, fmt.Sprintf("%d %% %s – %s", p.Degree, p.From, p.To))
	}
	return strings.Join(parts, ", ")
}

// widgetData is what the "widget" template draws: one question, its
// input name, the posted values, and what makes it accessible.
type widgetData struct {
	Q      schemas.Question
	Name   string
	Values url.Values
	T      *schemas.Template
	// Grouped is true for widgets of several controls, drawn as a fieldset
	// whose legend is the question; the others have one labelled control.
	Grouped bool
	// Invalid says the question has a problem; invalid are the inputs it
	// is in ("": all of them), which AttrsFor marks aria-invalid, true
	// for one the problem is in rather than the question's. Describe
	// are the ids of the help and error texts that describe the question.
	Invalid  bool
	invalid  map[string]bool
	Describe string
	// Help is the agency's guidance to the question (guidance).
	Help []string
	// Required is true for a question that must be answered whenever it
	// is asked (schemas.Template.Required): marked, and aria-required on
	// its one control.
	Required bool
	// CodeList is the code list of a diagnoses widget's codes, and codes
	// the list itself, for the titles of the codes typed.
	CodeList string
	codes    *intake.CodeList
	// MaxLength bounds a text (0: none), and CounterFor names the input the
	// character counter counts.
	MaxLength  int
	CounterFor string
}

// AttrsFor are the attributes of the widget's control input: its name,
// or name=value for one box of several. It is aria-invalid when the
// problem is in it, or in the whole question. describedBy are ids of
// the input's own that describe it too (a code's title), put in the one
// aria-describedby with the error's and the counter's: a second attribute
// would not be read.
func (d widgetData) AttrsFor(input string, describedBy ...string) template.HTMLAttr {
	var b strings.Builder
	ids := slices.Clone(describedBy)
	if !d.Grouped && d.Describe != "" {
		ids = append(ids, d.Describe)
	}
	_, all := d.invalid[""]
	in, marked := d.invalid[input]
	if d.Invalid && (d.invalid == nil || all || marked) {
		b.WriteString(` aria-invalid="true"`)
		if d.Grouped && in {
			// The input the problem is in, of several: it says why, as
			// the group around it does.
			ids = append(ids, "err-"+d.Name)
		}
	}
	if d.Required && !d.Grouped && input == d.Name {
		b.WriteString(` aria-required="true"`)
	}
	if input == d.Name && d.MaxLength > 0 || d.Q.Widget == schemas.WidgetTextWithCodes && input == d.Name+".text" && d.ItemMax("text") > 0 {
		ids = append(ids, "count-"+input) // its limit, and what is left
	}
	if len(ids) > 0 {
		b.WriteString(` aria-describedby="` + template.HTMLEscapeString(strings.Join(ids, " ")) + `"`)
	}
	return template.HTMLAttr(b.String())
}

// ItemMax is the maxLength of a member of the question's items.
func (d widgetData) ItemMax(member string) int { return d.T.MaxLength(d.Q.Field, member) }

// Sub is the widget data for the counter of an item member's text.
func (d widgetData) Sub(member string) widgetData {
	d.MaxLength, d.CounterFor = d.ItemMax(member), d.Name+"."+member
	return d
}

// CodeTitle is the title of a typed code in the widget's code list.
func (d widgetData) CodeTitle(code string) string {
	if d.codes == nil || code == "" {
		return ""
	}
	_, title, _ := d.codes.Lookup(code)
	return title
}

// grouped reports whether a widget kind has several controls (a fieldset
// and legend) rather than one labelled control.
func grouped(w schemas.Widget) bool {
	switch w {
	case schemas.WidgetText, schemas.WidgetTextarea, schemas.WidgetInteger, schemas.WidgetDate:
		return false
	}
	return true
}

func mustParsePages() map[string]*template.Template {
	ps := map[string]*template.Template{}
	for _, name := range pageNames {
		ps[name] = template.Must(template.New(name).Funcs(pageFuncs).ParseFS(pageFiles, "pages/layout.html", "pages/widgets.html", "pages/"+name+".html"))
	}
	return ps
}

// renderPage writes a page into a buffer first, so that a template error
// becomes a 500 rather than half a page. Pages hold patient data or
// sessions: never cached.
func renderPage(w http.ResponseWriter, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := pageTemplates[name].ExecuteTemplate(&buf, name+".html", data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	speak(w, "sv") // every page is Swedish, whatever the browser asks for
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// staticHandler serves the embedded CSS and JavaScript, files only: a
// directory is "not found", never a listing.
func staticHandler(logger *slog.Logger) http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	files := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if st, err := fs.Stat(sub, strings.TrimSuffix(name, "/")); name == "" || strings.HasSuffix(name, "/") || err != nil || st.IsDir() {
			return intake.Failure(intake.ENOTFOUND, "notFound.path", r.URL.Path)
		}
		files.ServeHTTP(w, r)
		return nil
	})
}
