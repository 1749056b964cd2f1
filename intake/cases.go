package intake

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intyg/intyg/schemas"
)

// DefaultCaseGap is the gap cases are joined with when none is asked for.
const DefaultCaseGap = 5

// CaseCertificate is a counted certificate as case building sees it: its
// sick-leave periods and what the case pages show of it.
type CaseCertificate struct {
	// ID is the certificate's id.
	ID string `json:"id"`
	// Unit is the HSA-id of the issuing unit.
	Unit string `json:"unit"`
	// Patient is whose certificate it is (id and name only).
	Patient Patient `json:"-"`
	// SignedAt is when it was signed.
	SignedAt time.Time `json:"signedAt"`
	// Diagnosis is the main (first) diagnosis code, if any.
	Diagnosis string `json:"diagnosis,omitempty"`
	// Periods are its sick-leave periods (Degree, From and To are used).
	Periods []Period `json:"periods"`
}

// span returns the certificate's first and last sick day.
func (c CaseCertificate) span() (first, last Date) {
	first, last = c.Periods[0].From, c.Periods[0].To
	for _, p := range c.Periods {
		if p.From.Before(first.Time) {
			first = p.From
		}
		if p.To.After(last.Time) {
			last = p.To
		}
	}
	return first, last
}

// DateRange is a run of days, both ends included.
type DateRange struct {
	From Date `json:"from"`
	To   Date `json:"to"`
}

// CaseSegment is a run of days of a case at one degree (the highest of the
// periods covering it), or a gap (Degree 0).
type CaseSegment struct {
	From, To Date
	Degree   int
}

// Case is a patient's sick-leave case: the counted certificates joined by
// the gap rule of the contract (cases.md), with its figures.
type Case struct {
	// Start and End are the first and last sick day.
	Start Date `json:"start"`
	End   Date `json:"end"`
	// Days counts the sick days (the union of the periods).
	Days int `json:"days"`
	// NetDays sums degree / 100 over the sick days, the highest degree
	// where periods overlap.
	NetDays float64 `json:"netDays"`
	// Gaps are the runs of days without sick leave inside the case.
	Gaps []DateRange `json:"gaps"`
	// CurrentDegree is the degree on the reference day if it is a sick day
	// of the case, else nil.
	CurrentDegree *int `json:"currentDegree"`
	// Milestones gives, per milestone ("day90"), the date of that sick day,
	// or null when the case does not reach it.
	Milestones map[string]Date `json:"milestones"`
	// Certificates are the ids of the counted certificates, in order of
	// their first day.
	Certificates []string `json:"certificates"`

	// Members are the certificates themselves, in the same order.
	Members []CaseCertificate `json:"-"`
	// Segments are the case's days by degree and its gaps, in order.
	Segments []CaseSegment `json:"-"`
	// Ongoing is true when the reference day lies within Start..End.
	Ongoing bool `json:"-"`
}

// CaseOptions are the parameters of case building.
type CaseOptions struct {
	// Gap is how many empty days may lie between two certificates of one
	// case (0–90).
	Gap int
	// At is the reference day (for CurrentDegree and Ongoing).
	At Date
	// Milestones are the sick days whose dates a case reports (90, 180, 365).
	Milestones []int
}

// MilestoneKey is a milestone's name in Case.Milestones: "day90".
func MilestoneKey(day int) string { return "day" + strconv.Itoa(day) }

// BuildCases joins a patient's counted certificates into cases, newest case
// first. A certificate joins the current case when its first day is at
// most Gap + 1 days after the latest last day seen so far in the case;
// otherwise it starts a new case. Certificates without periods are left out.
func BuildCases(certs []CaseCertificate, o CaseOptions) []Case {
	sorted := make([]CaseCertificate, 0, len(certs))
	for _, c := range certs {
		if len(c.Periods) > 0 {
			sorted = append(sorted, c)
		}
	}
	slices.SortStableFunc(sorted, func(a, b CaseCertificate) int {
		af, _ := a.span()
		bf, _ := b.span()
		if n := af.Compare(bf.Time); n != 0 {
			return n
		}
		return strings.Compare(a.ID, b.ID)
	})
	keys := make([]string, len(o.Milestones))
	for i, m := range o.Milestones {
		keys[i] = MilestoneKey(m)
	}
	var cases []Case
	start := 0 // of the current case's members in sorted
	var latest Date
	for i, c := range sorted {
		first, last := c.span()
		if i > start && first.After(latest.AddDays(o.Gap+1).Time) {
			cases = append(cases, buildCase(sorted[start:i:i], o, keys))
			start = i
		}
		if i == start || last.After(latest.Time) {
			latest = last
		}
	}
	if len(sorted) > start {
		cases = append(cases, buildCase(sorted[start:], o, keys))
	}
	slices.Reverse(cases)
	return cases
}

// ByPatient splits certs into each patient's certificates, by patient id,
// keeping their order within a patient. Certificates already in patient
// order, as the store reads them, are split where they lie; others are
// sorted first, in a copy.
func ByPatient(certs []CaseCertificate) [][]CaseCertificate {
	byID := func(a, b CaseCertificate) int { return strings.Compare(a.Patient.ID, b.Patient.ID) }
	if !slices.IsSortedFunc(certs, byID) {
		certs = slices.Clone(certs)
		slices.SortStableFunc(certs, byID)
	}
	var out [][]CaseCertificate
	for start := 0; start < len(certs); {
		end := start + 1
		for end < len(certs) && certs[end].Patient.ID == certs[start].Patient.ID {
			end++
		}
		out = append(out, certs[start:end:end])
		start = end
	}
	return out
}

// buildCase computes one case's figures from its certificates; keys are
// the MilestoneKey of each of o.Milestones.
func buildCase(members []CaseCertificate, o CaseOptions, keys []string) Case {
	c := Case{Members: members, Gaps: []DateRange{}, Milestones: make(map[string]Date, len(keys)), Certificates: make([]string, 0, len(members))}
	periods := members[0].Periods
	if len(members) > 1 {
		periods = nil
		for _, m := range members {
			periods = append(periods, m.Periods...)
		}
	}
	for _, m := range members {
		c.Certificates = append(c.Certificates, m.ID)
	}
	c.Segments = segments(periods)
	c.Start, c.End = c.Segments[0].From, c.Segments[len(c.Segments)-1].To
	for _, k := range keys {
		c.Milestones[k] = Date{}
	}
	net := 0 // hundredths of a day, so that the sum is exact
	for _, s := range c.Segments {
		if s.Degree == 0 {
			c.Gaps = append(c.Gaps, DateRange{From: s.From, To: s.To})
			continue
		}
		n := s.From.DaysUntil(s.To) + 1
		for i, m := range o.Milestones {
			if c.Days < m && c.Days+n >= m {
				c.Milestones[keys[i]] = s.From.AddDays(m - c.Days - 1)
			}
		}
		c.Days += n
		net += n * s.Degree
		if !o.At.IsZero() && !o.At.Before(s.From.Time) && !o.At.After(s.To.Time) {
			d := s.Degree
			c.CurrentDegree = &d
		}
	}
	c.NetDays = float64(net) / 100
	c.Ongoing = !o.At.IsZero() && !o.At.Before(c.Start.Time) && !o.At.After(c.End.Time)
	return c
}

// segments cuts the days the periods span into runs at one degree: the
// highest degree of the periods covering each day, 0 for a gap. Adjacent
// runs of the same degree are merged.
func segments(periods []Period) []CaseSegment {
	bounds := make([]Date, 0, 2*len(periods))
	for _, p := range periods {
		bounds = append(bounds, p.From, p.To.AddDays(1))
	}
	slices.SortFunc(bounds, func(a, b Date) int { return a.Compare(b.Time) })
	bounds = slices.CompactFunc(bounds, func(a, b Date) bool { return a.Equal(b.Time) })
	var out []CaseSegment
	for i := 0; i+1 < len(bounds); i++ {
		from, to := bounds[i], bounds[i+1].AddDays(-1)
		degree := 0
		for _, p := range periods {
			if !from.Before(p.From.Time) && !from.After(p.To.Time) {
				degree = max(degree, p.Degree)
			}
		}
		if n := len(out); n > 0 && out[n-1].Degree == degree {
			out[n-1].To = to
			continue
		}
		out = append(out, CaseSegment{From: from, To: to, Degree: degree})
	}
	return out
}

// Counted reports whether c counts toward its patient's cases: its template
// counts it (CountsTowardCases), and it is neither revoked nor replaced (a
// replaced certificate counts through the one that replaced or completed
// it).
func (c *Certificate) Counted() bool {
	return c.CountsTowardCases && c.SickLeave != nil && c.Status != StatusRevoked && c.Status != StatusReplaced
}

// CaseCertificates returns the certificates of certs that count toward
// cases (Counted), as case building sees them.
func CaseCertificates(certs []*Certificate) []CaseCertificate {
	var out []CaseCertificate
	for _, c := range certs {
		if !c.Counted() {
			continue
		}
		cc := CaseCertificate{ID: c.ID, Unit: c.Issuer.Unit.HSAID, Patient: Patient{ID: c.Patient.ID, Name: c.Patient.Name}, SignedAt: c.SignedAt, Periods: c.SickLeave.Periods}
		if len(c.Diagnoses) > 0 {
			cc.Diagnosis = c.Diagnoses[0].Code
		}
		out = append(out, cc)
	}
	return out
}

// CaseQuery asks for a patient's sick-leave cases.
type CaseQuery struct {
	// Patient is the identity number in 12-digit form.
	Patient string
	// Gap joins the certificates (0–90, default DefaultCaseGap).
	Gap int
	// At is the reference day (default today).
	At Date
}

// ParseCaseQuery reads a request for a patient's cases from a decoded JSON
// object: "patient" (any form ParsePersonalID accepts, required), "gap"
// (a whole number 0–90) and "at" (a date). today is the default of at and
// decides the century of a short identity number. It returns an EINVALID
// *Error listing every problem.
func ParseCaseQuery(doc map[string]any, today Date) (CaseQuery, error) {
	q := CaseQuery{Gap: DefaultCaseGap, At: today}
	var ps Problems
	for name, v := range doc {
		if v == nil && (name == "gap" || name == "at") {
			continue // null: not given, the default holds
		}
		switch name {
		case "patient":
			s, text := v.(string)
			if v == nil || text && strings.TrimSpace(s) == "" {
				// Blank, or null: missing, as a blank text in a submission.
				ps = append(ps, problem("/patient", "required", nil))
				continue
			}
			pid, err := ParsePersonalID(s, today.Time)
			if err != nil {
				ps = append(ps, PersonalIDProblem("/patient", err))
			}
			q.Patient = pid.Number
		case "gap":
			// 5, 5.0 and 5e0 are the same JSON number, as in a submission.
			n, ok := WholeNumber(v)
			if !ok || n < 0 || n > schemas.MaxCaseGap {
				ps = append(ps, NewProblem("/gap", "invalid", "case.gap", schemas.MaxCaseGap))
			} else {
				q.Gap = n
			}
		case "at":
			s, _ := v.(string)
			d, ok := validDate(s)
			if !ok {
				ps = append(ps, problem("/at", "invalidDate", nil))
			}
			q.At = d
		default:
			ps = append(ps, NewProblem(JoinPointer("", name), "invalid", "param.unknown", nil))
		}
	}
	if _, ok := doc["patient"]; !ok {
		ps = append(ps, problem("/patient", "required", nil))
	}
	if len(ps) > 0 {
		return q, Failure(EINVALID, "param.invalid").WithProblems(sortProblems(ps))
	}
	return q, nil
}

// CaseMilestones returns the milestones the templates that count toward
// cases declare, ascending.
func (e *Engine) CaseMilestones() []int {
	var out []int
	for _, t := range e.reg.All() {
		if t.Cases != nil {
			out = append(out, t.Cases.Milestones...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// DateOf returns the civil date of t in Europe/Stockholm ("today" for the
// people who use Intyg).
func DateOf(t time.Time) Date {
	y, m, d := t.In(Stockholm).Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// DaysBy returns the sick days of the case on or before day at.
func (c Case) DaysBy(at Date) int {
	n := 0
	for _, s := range c.Segments {
		if s.Degree == 0 || s.From.After(at.Time) {
			continue
		}
		to := s.To
		if to.After(at.Time) {
			to = at
		}
		n += s.From.DaysUntil(to) + 1
	}
	return n
}

// MilestoneState is where a case stands at one milestone on a reference day.
type MilestoneState struct {
	// Day is the milestone, such as 90.
	Day int
	// Date is the day the case reaches it: from its periods, or, beyond
	// them, if the sick leave goes on every day from the reference day.
	Date Date
	// Reached is true when Date is on or before the reference day.
	Reached bool
}

// MilestonesDue returns the milestones the case has reached by day at, and
// those it reaches within the following `within` days.
func (c Case) MilestonesDue(at Date, within int, milestones []int) []MilestoneState {
	var out []MilestoneState
	sofar := c.DaysBy(at)
	for _, m := range milestones {
		d := c.milestoneDate(m, at, sofar)
		switch {
		case !d.After(at.Time):
			out = append(out, MilestoneState{Day: m, Date: d, Reached: true})
		case !d.After(at.AddDays(within).Time):
			out = append(out, MilestoneState{Day: m, Date: d})
		}
	}
	return out
}

// NextMilestone is the first of milestones that c reaches after at, at
// the case's pace as of at (as MilestonesDue dates it), however far
// ahead; false if it has reached them all.
func (c Case) NextMilestone(at Date, milestones []int) (MilestoneState, bool) {
	sofar := c.DaysBy(at)
	for _, m := range milestones {
		if d := c.milestoneDate(m, at, sofar); d.After(at.Time) {
			return MilestoneState{Day: m, Date: d}, true
		}
	}
	return MilestoneState{}, false
}

// milestoneDate is the day c reaches milestone m: from its periods, or,
// beyond them, if the sick leave goes on every day from at, when it had
// sofar days.
func (c Case) milestoneDate(m int, at Date, sofar int) Date {
	if d := c.Milestones[MilestoneKey(m)]; !d.IsZero() {
		return d
	}
	return at.AddDays(m - sofar)
}
