package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/intyg/intyg/intake"
)

// maxLimit is the largest page a list endpoint returns.
const maxLimit = 500

// queryParser reads the filters of a list endpoint, one method per kind
// of parameter, collecting a problem (worded by the catalogue) for each
// bad one. Every list endpoint uses it, so that the same parameter reads
// and fails the same way everywhere.
type queryParser struct {
	q      url.Values
	now    time.Time
	ps     intake.Problems
	logged []string
}

// newQueryParser starts reading q, whose parameters must be among known.
func newQueryParser(q url.Values, now time.Time, known ...string) *queryParser {
	p := &queryParser{q: q, now: now}
	var names []string
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch {
		case !slices.Contains(known, name):
			p.bad(name, "param.unknown", nil)
		case len(q[name]) > 1:
			// Read as its first, patient=A&patient=B would answer for A
			// alone, as though B had none.
			p.bad(name, "param.repeated", nil)
		}
	}
	return p
}

func (p *queryParser) bad(name, key string, arg any) {
	p.ps = append(p.ps, intake.NewProblem(intake.JoinPointer("", name), "invalid", key, arg))
}

// log keeps a parameter for the access log's query column.
func (p *queryParser) log(name, v string) { p.logged = append(p.logged, name+"="+v) }

// patient reads an identity number in any accepted form, as 12 digits.
// It is never logged in the query: the access log has its own column.
func (p *queryParser) patient(name string) *string {
	v, given := p.q.Get(name), p.q.Has(name)
	if !given {
		return nil
	}
	if strings.TrimSpace(v) == "" {
		// Given empty, it is a patient the client did not fill in, not
		// "every patient".
		p.ps = append(p.ps, intake.NewProblem(intake.JoinPointer("", name), "required", "param.patient", nil))
		return nil
	}
	pid, err := intake.ParsePersonalID(v, p.now)
	if err != nil {
		p.ps = append(p.ps, intake.PersonalIDProblem(intake.JoinPointer("", name), err))
		return nil
	}
	return &pid.Number
}

// noParams refuses every parameter of a list that takes none (422 at
// each), as every list refuses one it does not know: ?limit=1 must not
// pass for a page when it is the whole list.
func noParams(r *http.Request) error {
	return newQueryParser(r.URL.Query(), time.Time{}).err()
}

// text reads a plain string.
func (p *queryParser) text(name string) *string {
	v := p.q.Get(name)
	if v == "" {
		return nil
	}
	p.log(name, v)
	return &v
}

// hsaID reads an HSA-id, in upper case as the store keeps them: a
// misspelt unit must not look like a unit without certificates.
func (p *queryParser) hsaID(name string) *string {
	v := p.text(name)
	if v == nil {
		return nil
	}
	if !intake.ValidHSAID(*v) {
		p.bad(name, "hsaId.pattern", nil)
	}
	u := intake.UpperASCII(*v)
	return &u
}

// status reads a certificate status.
func (p *queryParser) status(name string) *intake.Status {
	v := p.q.Get(name)
	if v == "" {
		return nil
	}
	s := intake.Status(v)
	if !s.Valid() {
		p.bad(name, "param.status", nil)
	}
	p.log(name, v)
	return &s
}

// time reads an RFC 3339 time, or with dateToo also a date: its midnight
// in Europe/Stockholm, as every date the service shows is a Swedish one.
func (p *queryParser) time(name string, dateToo bool) *time.Time {
	v := p.q.Get(name)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil && dateToo {
		var d intake.Date
		if d, err = intake.ParseDate(v); err == nil {
			t = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, intake.Stockholm)
		}
	}
	switch {
	case err != nil && dateToo:
		p.bad(name, "param.timeOrDate", nil)
	case err != nil:
		p.bad(name, "param.time", nil)
	}
	p.log(name, v)
	return &t
}

// flag reads "true" or "false".
func (p *queryParser) flag(name string) *bool {
	v := p.q.Get(name)
	if v == "" {
		return nil
	}
	b := v == "true"
	if v != "true" && v != "false" {
		p.bad(name, "param.flag", nil)
	}
	p.log(name, v)
	return &b
}

// limit reads the page size (0: the store's default).
func (p *queryParser) limit() int {
	v := p.q.Get("limit")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxLimit {
		p.bad("limit", "param.limit", maxLimit)
	}
	return n
}

// cursor reads the cursor of the next page.
func (p *queryParser) cursor() string { return p.q.Get("cursor") }

// query returns the parameters read, for the access log, without patients.
func (p *queryParser) query() string { return strings.Join(p.logged, "&") }

// err returns an EINVALID error listing every bad parameter, or nil.
func (p *queryParser) err() error {
	if len(p.ps) == 0 {
		return nil
	}
	return intake.Failure(intake.EINVALID, "param.invalid").WithProblems(p.ps)
}

// maxFilterBody bounds the JSON body of a search.
const maxFilterBody = 16 << 10

// flagFilters are the filters that are yes or no: in a body, a JSON
// boolean or, as in a URL, "true" or "false".
var flagFilters = []string{"contactRequested"}

// readFilters reads a search's filters from a JSON object body (strings,
// a number for limit, booleans for the flag filters) into the form the
// query parser reads, so that a POST search checks its filters exactly as
// the GET list does: a member not among known is left for it to refuse as
// unknown, whatever its type.
func readFilters(w http.ResponseWriter, r *http.Request, known ...string) (url.Values, error) {
	doc, err := readJSONObject(w, r, maxFilterBody)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	var ps intake.Problems
	for name, v := range doc {
		if !slices.Contains(known, name) {
			q.Set(name, "") // the query parser refuses it as unknown
			continue
		}
		want := "string"
		switch {
		case name == "limit":
			want = "integer"
		case slices.Contains(flagFilters, name):
			want = "boolean"
		}
		switch v := v.(type) {
		case bool:
			if want != "boolean" {
				ps = append(ps, intake.NewProblem(intake.JoinPointer("", name), "type", "type", want))
				continue
			}
			q.Set(name, strconv.FormatBool(v))
		case string:
			if name == "limit" { // a number, as the document says, not "2"
				ps = append(ps, intake.NewProblem(intake.JoinPointer("", name), "type", "type", want))
				continue
			}
			if !isText(v) {
				ps = append(ps, intake.NewProblem(intake.JoinPointer("", name), "invalidCharacter", "invalidCharacter", "U+0000"))
				continue
			}
			q.Set(name, v)
		case json.Number:
			if name != "limit" {
				ps = append(ps, intake.NewProblem(intake.JoinPointer("", name), "type", "type", want))
				continue
			}
			if n, whole := intake.WholeNumber(v); whole {
				q.Set(name, strconv.Itoa(n)) // 1.0 and 1e2 as 1 and 100, as intake reads them
				continue
			}
			q.Set(name, v.String()) // refused by the query parser as a limit
		case nil:
			if name == "patient" { // as "": a patient not filled in
				q.Set(name, "")
			}
		default:
			ps = append(ps, intake.NewProblem(intake.JoinPointer("", name), "type", "type", want))
		}
	}
	if len(ps) > 0 {
		return nil, intake.Failure(intake.EINVALID, "param.invalid").WithProblems(ps)
	}
	return q, nil
}
