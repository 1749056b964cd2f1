package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/intyg/intyg/intake"
)

// casesPage is what patient_cases.html shows: a patient's sick-leave
// cases, newest first, each as a timeline, its figures and its
// certificates. The patient's id is posted, never in a URL.
type casesPage struct {
	layout
	Patient, Gap string
	// PatientName is the patient's name as the newest certificate gives it.
	PatientName string
	// Error is why the patient was not shown; GapError why the gap was
	// refused, beside its input.
	Error, GapError string
	// Asked is true once a patient was asked for.
	Asked bool
	Cases []caseView
}

// caseView is one case on the page.
type caseView struct {
	intake.Case
	N        int
	Timeline timeline
	Rows     []caseCertificateRow
	// Milestones are the milestones in order, with their dates ("" when
	// the case does not reach one).
	Milestones []milestoneView
	Degree     string
}

type milestoneView struct {
	Day  int
	Date string
}

// caseCertificateRow is one certificate of a case, in order.
type caseCertificateRow struct {
	N         int
	ID        string
	Unit      string
	UnitName  string // "": not registered
	Signed    string
	Diagnosis string
	Periods   string
}

// timeline is a case drawn as SVG: one lane per certificate with a bar per
// period shaded by degree, the gaps, and the milestone marks. Coordinates
// are computed here; the template only writes them out.
type timeline struct {
	Width, Height int
	Lanes         []timelineLane
	Gaps          []timelineBox
	Marks         []timelineMark
	Start, End    string
	AxisX, AxisY  int
}

type timelineLane struct {
	Y, TextY int
	Label    string
	Bars     []timelineBox
}

type timelineBox struct {
	X, Y, W, H int
	Fill       string
	Title      string
}

type timelineMark struct {
	ID          string
	X, Y1, Y2   int
	TextX       int
	Label, Date string
}

// Timeline geometry, in SVG user units.
const (
	tlWidth  = 760
	tlLeft   = 90 // the lane labels
	tlRight  = 20
	tlTop    = 24 // the milestone labels
	tlLane   = 26
	tlBar    = 18
	tlBottom = 22 // the axis labels
)

// degreeFills shades a bar by its degree: the fuller, the darker. Each
// passes 3:1 against the page's white.
var degreeFills = map[int]string{100: "#1f3f66", 75: "#2f5f96", 50: "#4a78b0", 25: "#6f8fb8"}

func degreeFill(d int) string {
	if f, ok := degreeFills[d]; ok {
		return f
	}
	return "#4a78b0"
}

// drawTimeline lays a case out as a timeline.
func drawTimeline(c intake.Case, milestones []int) timeline {
	days := c.Start.DaysUntil(c.End) + 1
	span := tlWidth - tlLeft - tlRight
	x := func(d intake.Date) int { return tlLeft + c.Start.DaysUntil(d)*span/days }
	w := func(from, to intake.Date) int {
		return max(2, (c.Start.DaysUntil(to)+1)*span/days-c.Start.DaysUntil(from)*span/days)
	}
	t := timeline{Width: tlWidth, Height: tlTop + len(c.Members)*tlLane + tlBottom, Start: c.Start.String(), End: c.End.String()}
	t.AxisX, t.AxisY = tlLeft, t.Height-6
	bottom := tlTop + len(c.Members)*tlLane
	for _, g := range c.Gaps {
		t.Gaps = append(t.Gaps, timelineBox{X: x(g.From), Y: tlTop, W: w(g.From, g.To), H: bottom - tlTop, Fill: "#f3d9a4",
			Title: fmt.Sprintf("Uppehåll %s – %s", g.From, g.To)})
	}
	for i, m := range c.Members {
		lane := timelineLane{Y: tlTop + i*tlLane, TextY: tlTop + i*tlLane + tlBar - 4, Label: fmt.Sprintf("Intyg %d", i+1)}
		for _, p := range m.Periods {
			lane.Bars = append(lane.Bars, timelineBox{X: x(p.From), Y: lane.Y + 2, W: w(p.From, p.To), H: tlBar, Fill: degreeFill(p.Degree),
				Title: fmt.Sprintf("Intyg %d: %d %% %s – %s", i+1, p.Degree, p.From, p.To)})
		}
		t.Lanes = append(t.Lanes, lane)
	}
	for _, m := range milestones {
		d := c.Milestones[intake.MilestoneKey(m)]
		if d.IsZero() {
			continue
		}
		mx := x(d) + max(1, span/days)/2
		t.Marks = append(t.Marks, timelineMark{ID: intake.MilestoneKey(m), X: mx, Y1: tlTop - 6, Y2: bottom, TextX: mx,
			Label: fmt.Sprintf("Dag %d", m), Date: d.String()})
	}
	return t
}

// handlePatientCasesPage handles GET /patients/cases (caseworkers, and
// physicians from their own unit's certificates): the form, and with a
// reference to the patient asked for (handlePatientPost) the
// patient's cases, newest first. Every patient shown is in the access log
// (patientCases).
func handlePatientCasesPage(logger *slog.Logger, eng *intake.Engine, cases caseStore, audit auditStore, refs patientRefStore, units unitLister, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		page := casesPage{layout: signedInLayout(r, "Patientens sjukfall"), Gap: strconv.Itoa(intake.DefaultCaseGap)}
		if g := r.URL.Query().Get("gap"); g != "" {
			page.Gap = g
		}
		patient, notice, search, err := refPatient(r, refs)
		if err != nil {
			return err
		}
		if !search {
			page.Error = notice
			return renderPage(w, http.StatusOK, "patient_cases", page)
		}
		page.Patient, page.Asked = patient, true
		doc := map[string]any{"patient": page.Patient}
		if n, err := strconv.Atoi(page.Gap); err == nil {
			doc["gap"] = n
		} else {
			doc["gap"] = page.Gap
		}
		q, err := intake.ParseCaseQuery(doc, intake.DateOf(now()))
		if ps := intake.ErrorProblems(err); len(ps) > 0 {
			if strings.TrimSpace(patient) == "" {
				page.Error = intake.Text("form.patientMissing", "sv") // not "the wrong format"
			}
			for _, p := range ps {
				switch {
				case p.Pointer == "/gap" && page.GapError == "":
					page.GapError = p.Message
				case p.Pointer != "/gap" && page.Error == "":
					page.Error = p.Message
				}
			}
			return renderPage(w, http.StatusUnprocessableEntity, "patient_cases", page)
		}
		list, err := patientCases(r, eng, cases, audit, q)
		if err != nil {
			return err
		}
		names, err := unitNames(r.Context(), units)
		if err != nil {
			return err
		}
		milestones := eng.CaseMilestones()
		var newest *intake.CaseCertificate
		for i, c := range list {
			v := caseView{Case: c, N: len(list) - i, Timeline: drawTimeline(c, milestones), Degree: "–"}
			if c.CurrentDegree != nil {
				v.Degree = fmt.Sprintf("%d %%", *c.CurrentDegree)
			}
			for _, m := range milestones {
				v.Milestones = append(v.Milestones, milestoneView{Day: m, Date: c.Milestones[intake.MilestoneKey(m)].String()})
			}
			for j, m := range c.Members {
				if newest == nil || m.SignedAt.After(newest.SignedAt) {
					newest = &c.Members[j]
				}
				row := caseCertificateRow{N: j + 1, ID: m.ID, Unit: m.Unit, UnitName: names[m.Unit], Signed: localTime(m.SignedAt), Diagnosis: m.Diagnosis,
					Periods: periodsText(m.Periods)}
				v.Rows = append(v.Rows, row)
			}
			page.Cases = append(page.Cases, v)
		}
		if newest != nil {
			page.PatientName = newest.Patient.Name
		}
		return renderPage(w, http.StatusOK, "patient_cases", page)
	})
}
