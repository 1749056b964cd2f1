package schemas

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
)

// Cases declares that a template's certificates count toward the patient's
// sick-leave cases (the rehabilitation chain's spells), and how. A template
// without a cases block does not count.
type Cases struct {
	// Exclude is the condition under which a certificate of the template
	// does not count (such as a certificate for smittbärarpenning); nil: every one counts.
	Exclude *Condition `json:"exclude,omitempty"`
	// Gap is the default number of empty days two certificates of one case
	// may have between them (0–90) when the attention flags join cases.
	Gap int `json:"gap"`
	// Milestones are the sick days a case is followed at, ascending (the
	// rehabilitation chain's 90, 180 and 365).
	Milestones []int `json:"milestones"`
}

// MaxCaseGap is the largest gap a case may be joined with.
const MaxCaseGap = 90

// FlagKind is a kind of attention flag: what is checked. The kinds are
// declared here once; package intake computes them, and a template naming
// any other kind is refused when it loads.
type FlagKind string

// The attention flag kinds and the parameters each takes.
const (
	// FlagStartsBeforeSigning: a sick-leave period starts more than Days
	// days before the signing day.
	FlagStartsBeforeSigning FlagKind = "startsBeforeSigning"
	// FlagOverlapOtherUnit: a period overlaps a period of another counted
	// certificate of the patient from a different unit.
	FlagOverlapOtherUnit FlagKind = "overlapOtherUnit"
	// FlagReachesMilestone: the case the certificate joins reaches its
	// Milestone-th sick day within the certificate's periods.
	FlagReachesMilestone FlagKind = "reachesMilestone"
	// FlagDegreeDaysWithoutAnswer: more than Days days at Degree and no
	// answer to Field (when the question is asked).
	FlagDegreeDaysWithoutAnswer FlagKind = "degreeDaysWithoutAnswer"
	// FlagNoneOfOptions: the answer to Field (an option widget, asked)
	// chooses none of Values.
	FlagNoneOfOptions FlagKind = "noneOfOptions"
	// FlagImplausiblePeriod: a period is longer than Days days, or starts
	// more than Days days before or after the signing day.
	FlagImplausiblePeriod FlagKind = "implausiblePeriod"
)

// HasValue reports whether a flag of kind k has a value to fill its
// text's %v with (the days, the other units, the milestone's day):
// noneOfOptions has none.
func (k FlagKind) HasValue() bool {
	return k != FlagNoneOfOptions
}

// ReadsOtherUnits reports whether a flag of kind k rests on the patient's
// certificates from other units (an overlapping period of another unit's,
// a milestone the case across units reaches): such a flag tells of
// certificates that a reader bound to one unit may not see.
func (k FlagKind) ReadsOtherUnits() bool {
	return k == FlagOverlapOtherUnit || k == FlagReachesMilestone
}

// Flag is one attention flag a template raises on its certificates, for
// caseworkers' control. A flag never refuses a certificate.
type Flag struct {
	// Code is the flag's code in the record and in queue filters.
	Code string `json:"code"`
	// Kind is what is checked, one of the FlagKind constants.
	Kind FlagKind `json:"kind"`
	// Days, Degree, Milestone, Field and Values are the kind's parameters.
	Days      int      `json:"days,omitempty"`
	Degree    int      `json:"degree,omitempty"`
	Milestone int      `json:"milestone,omitempty"`
	Field     string   `json:"field,omitempty"`
	Values    []string `json:"values,omitempty"`
	// Text is the flag's sentence, in which %v stands for the kind's
	// value (the days, the other units, the milestone's day; see
	// FlagKind.HasValue); Label is
	// its short name, for lists and filters. A template declares them
	// for a code of its own; without them the code's must be in intake's
	// message catalogue.
	Text  *Text `json:"text,omitempty"`
	Label *Text `json:"label,omitempty"`
}

var flagCodePattern = regexp.MustCompile(`^[a-z][A-Za-z0-9]{0,39}$`)

// checkCases checks the cases block and the flags: the gap in range, the
// milestones ascending, every flag of a known kind with the parameters it
// needs, naming questions of the right widget; flags that look at periods
// or cases need a cases block and derived sick leave.
func checkCases(c *Cases, flags []Flag, d Derive, f Form) error {
	if c != nil {
		if c.Gap < 0 || c.Gap > MaxCaseGap {
			return fmt.Errorf("cases: gap %d is not 0–%d", c.Gap, MaxCaseGap)
		}
		if len(c.Milestones) == 0 || c.Milestones[0] < 1 || !slices.IsSorted(c.Milestones) || len(slices.Compact(slices.Clone(c.Milestones))) != len(c.Milestones) {
			return errors.New("cases: milestones must be positive days in ascending order")
		}
		if d.SickLeave == nil {
			return errors.New("cases: a template counts toward cases only with derive.sickLeave")
		}
	}
	seen := map[string]bool{}
	for _, fl := range flags {
		if !flagCodePattern.MatchString(fl.Code) || seen[fl.Code] {
			return fmt.Errorf("attention: code %q is not a camelCase word, or is repeated", fl.Code)
		}
		seen[fl.Code] = true
		if (fl.Text == nil) != (fl.Label == nil) {
			return fmt.Errorf("attention: %s: declare both text and label, or neither", fl.Code)
		}
		if err := fl.Text.CheckDeclared(fl.Kind.HasValue()); err != nil {
			return fmt.Errorf("attention: %s: text: %w", fl.Code, err)
		}
		if err := fl.Label.CheckDeclared(false); err != nil {
			return fmt.Errorf("attention: %s: label: %w", fl.Code, err)
		}
		if err := checkFlag(fl, c, f); err != nil {
			return fmt.Errorf("attention: %s: %w", fl.Code, err)
		}
	}
	return nil
}

func checkFlag(fl Flag, c *Cases, f Form) error {
	if c == nil {
		return errors.New("flags need a cases block")
	}
	switch fl.Kind {
	case FlagStartsBeforeSigning, FlagImplausiblePeriod:
		if fl.Days < 1 {
			return fmt.Errorf("kind %s needs days", fl.Kind)
		}
	case FlagOverlapOtherUnit:
	case FlagReachesMilestone:
		if !slices.Contains(c.Milestones, fl.Milestone) {
			return fmt.Errorf("milestone %d is not one of the cases' milestones", fl.Milestone)
		}
	case FlagDegreeDaysWithoutAnswer:
		if fl.Days < 1 || fl.Degree < 1 || fl.Degree > 100 {
			return fmt.Errorf("kind %s needs days and a degree 1–100", fl.Kind)
		}
		if _, ok := f.Question(fl.Field); !ok {
			return fmt.Errorf("field %q is not a question of the form", fl.Field)
		}
	case FlagNoneOfOptions:
		q, ok := f.Question(fl.Field)
		if !ok || len(q.Options) == 0 {
			return fmt.Errorf("field %q is not a question with options", fl.Field)
		}
		if len(fl.Values) == 0 {
			return errors.New("values are required")
		}
		for _, v := range fl.Values {
			if !slices.ContainsFunc(q.Options, func(o Option) bool { return o.Value == v }) {
				return fmt.Errorf("value %q is not an option of %s", v, fl.Field)
			}
		}
	default:
		return fmt.Errorf("unknown kind %q", fl.Kind)
	}
	return nil
}
