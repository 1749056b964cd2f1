package web

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intyg/intyg/intake"
)

// milestoneWindow is how many days ahead the unit's list shows a milestone
// as due.
const milestoneWindow = 14

// unitCasesPerPage is how many patients the unit's list shows a page
// unless ?per= says otherwise (1–maxUnitCasesPerPage): a unit may have
// thousands of ongoing cases, and each patient shown is access-logged.
const unitCasesPerPage, maxUnitCasesPerPage = 100, 500

// unitCasesPage is what unit_cases.html shows: every patient of the unit
// with an ongoing sick-leave case on the reference day (Rehabstöd's main
// view).
type unitCasesPage struct {
	layout
	Unit, At                string
	Sort, Chapter, Min, Max string
	Chapters                []intake.Chapter
	Rows                    []unitCaseRow
	// Total is how many patients match; Rows is the page of them from
	// First (1-based) on; Prev and Next link the neighbouring pages, and
	// FirstPage the first (for a page past the last).
	Total, First, Last          int
	Prev, Next, FirstPage       string
	Error                       string
	SortLinks                   map[string]string
	DefaultGap, MilestoneWindow int
}

// unitCaseRow is one patient's ongoing case.
type unitCaseRow struct {
	Patient    intake.Patient
	Start      string
	Days       int
	Degree     string
	degree     int
	Diagnosis  string
	Title      string
	Milestones []intake.MilestoneState
	next       string
}

// unitCaseSorts are the orders the list offers, by parameter value; names
// compares names, in Swedish order (swedishOrder, one collator a request).
var unitCaseSorts = map[string]func(a, b unitCaseRow, names func(a, b string) int) int{
	"days":      func(a, b unitCaseRow, _ func(a, b string) int) int { return b.Days - a.Days },
	"degree":    func(a, b unitCaseRow, _ func(a, b string) int) int { return b.degree - a.degree },
	"name":      func(a, b unitCaseRow, names func(a, b string) int) int { return names(a.Patient.Name, b.Patient.Name) },
	"milestone": func(a, b unitCaseRow, _ func(a, b string) int) int { return strings.Compare(a.next, b.next) },
	"start":     func(a, b unitCaseRow, _ func(a, b string) int) int { return strings.Compare(a.Start, b.Start) },
}

// handleUnitCases handles GET /unit/cases (physicians, at their chosen
// unit): every patient with an ongoing case on the reference day built
// from the unit's certificates, with days so far, current degree, main
// diagnosis and milestones reached or due within 14 days; sorted by
// ?sort=, filtered by diagnosis chapter (?chapter=F00-F99) and days
// (?min=, ?max=), a page of ?per= patients at a time (?page=, from 1).
// Every patient shown is in the access log.
func handleUnitCases(logger *slog.Logger, eng *intake.Engine, cases caseStore, audit auditStore, units unitLister, now func() time.Time) http.Handler {
	icd, _ := eng.CodeList("icd10se")
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		actor := actorFrom(r.Context())
		in := r.URL.Query()
		at := intake.DateOf(now())
		unitNamed, err := unitNames(r.Context(), units)
		if err != nil {
			return err
		}
		var named []string
		for _, u := range actor.Units {
			named = append(named, cmp.Or(unitNamed[u], u))
		}
		page := unitCasesPage{layout: signedInLayout(r, "Pågående sjukfall"), Unit: strings.Join(named, ", "), At: at.String(),
			Sort: in.Get("sort"), Chapter: in.Get("chapter"), Min: in.Get("min"), Max: in.Get("max"),
			DefaultGap: intake.DefaultCaseGap, MilestoneWindow: milestoneWindow, SortLinks: map[string]string{}}
		if icd != nil {
			page.Chapters = icd.Chapters()
		}
		if _, ok := unitCaseSorts[page.Sort]; !ok {
			page.Sort = "days"
		}
		link := func(sort string, pageNo int) string {
			v := url.Values{"sort": {sort}}
			for k, val := range map[string]string{"chapter": page.Chapter, "min": page.Min, "max": page.Max, "per": in.Get("per")} {
				if val != "" {
					v.Set(k, val)
				}
			}
			if pageNo > 1 {
				v.Set("page", strconv.Itoa(pageNo))
			}
			return "/unit/cases?" + v.Encode()
		}
		for s := range unitCaseSorts {
			page.SortLinks[s] = link(s, 1)
		}
		bound := func(s string, dflt int) int {
			if s == "" {
				return dflt
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				page.Error = intake.Text("case.days", "sv")
			}
			return n
		}
		minDays, maxDays := bound(page.Min, 0), bound(page.Max, 1<<30)
		if page.Error == "" && minDays > maxDays {
			page.Error = intake.Text("case.minOverMax", "sv")
		}
		pageNo, per := 1, unitCasesPerPage
		if v := in.Get("page"); v != "" {
			if n, err := strconv.Atoi(v); err == nil && n >= 1 {
				pageNo = n
			} else {
				page.Error = intake.Text("case.page", "sv")
			}
		}
		if v := in.Get("per"); v != "" {
			if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= maxUnitCasesPerPage {
				per = n
			} else {
				page.Error = intake.Text("case.per", "sv", maxUnitCasesPerPage)
			}
		}
		if page.Error != "" {
			return renderPage(w, http.StatusUnprocessableEntity, "unit_cases", page)
		}
		certs, err := cases.FindOngoingCaseCertificates(r.Context(), actor.Units, at, intake.DefaultCaseGap)
		if err != nil {
			return err
		}
		milestones := eng.CaseMilestones()
		for _, pc := range intake.ByPatient(certs) {
			for _, c := range intake.BuildCases(pc, intake.CaseOptions{Gap: intake.DefaultCaseGap, At: at, Milestones: milestones}) {
				if !c.Ongoing {
					continue
				}
				last := c.Members[len(c.Members)-1]
				row := unitCaseRow{Patient: last.Patient, Start: c.Start.String(), Days: c.DaysBy(at), Degree: "–", Diagnosis: last.Diagnosis,
					Milestones: c.MilestonesDue(at, milestoneWindow, milestones), next: "9999"}
				if c.CurrentDegree != nil {
					row.degree, row.Degree = *c.CurrentDegree, fmt.Sprintf("%d %%", *c.CurrentDegree)
				}
				if m, ok := c.NextMilestone(at, milestones); ok {
					row.next = m.Date.String() // beyond the window too, for the sort
				}
				var chapter intake.Chapter
				if icd != nil {
					_, row.Title, _ = icd.Lookup(row.Diagnosis)
					chapter, _ = icd.ChapterOf(row.Diagnosis)
				}
				if (page.Chapter != "" && chapter.ID != page.Chapter) || row.Days < minDays || row.Days > maxDays {
					continue
				}
				page.Rows = append(page.Rows, row)
			}
		}
		order, names := unitCaseSorts[page.Sort], swedishOrder()
		slices.SortStableFunc(page.Rows, func(a, b unitCaseRow) int {
			if n := order(a, b, names); n != 0 {
				return n
			}
			return strings.Compare(a.Patient.ID, b.Patient.ID)
		})
		page.Total = len(page.Rows)
		from := min((pageNo-1)*per, page.Total)
		to := min(from+per, page.Total)
		page.Rows, page.First, page.Last = page.Rows[from:to], from+1, to
		page.FirstPage = link(page.Sort, 1)
		if pageNo > 1 {
			page.Prev = link(page.Sort, min(pageNo-1, (page.Total+per-1)/per))
		}
		if to < page.Total {
			page.Next = link(page.Sort, pageNo+1)
		}
		var patients []string
		for _, row := range page.Rows {
			patients = append(patients, row.Patient.ID)
		}
		base := actor.Audit("cases.unit", r.RemoteAddr)
		base.Query = "at=" + page.At
		if err := logPatients(r.Context(), audit, *base, patients); err != nil {
			return err
		}
		return renderPage(w, http.StatusOK, "unit_cases", page)
	})
}
