package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// embedded holds every template version folder and the code lists. The
// pattern picks up new template folders without any change here.
//
//go:embed */*/*.json codes
var embedded embed.FS

// Embedded returns the file system of templates compiled into the binary.
func Embedded() fs.FS { return embedded }

// ICD10SE returns the embedded ICD-10-SE code lists (digit3.txt, digit4.txt,
// digit5.txt: CODE \t DAGGER-OR-STAR \t TITLE).
func ICD10SE() fs.FS {
	sub, err := fs.Sub(embedded, "codes/icd10se")
	if err != nil {
		panic(err) // the directory is embedded above; this cannot fail at run time
	}
	return sub
}

// Text is a string in Swedish and English.
type Text struct {
	SV string `json:"sv"`
	EN string `json:"en"`
}

// In returns the text in lang ("en" gives English, anything else Swedish),
// falling back to Swedish when the English text is empty.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.SV
}

// CheckDeclared checks a text a template declares for people to read in
// place of the message catalogue's: Swedish required, English optional
// (In falls back), and, where a value may be filled in (fill), at most one
// %v in each; elsewhere none. Nil (not declared) passes.
func (t *Text) CheckDeclared(fill bool) error {
	if t == nil {
		return nil
	}
	if strings.TrimSpace(t.SV) == "" {
		return errors.New("sv is required")
	}
	for _, s := range []string{t.SV, t.EN} {
		if n := strings.Count(s, "%v"); n > 1 || (n == 1 && !fill) {
			return fmt.Errorf("%q: %%v may stand for the value once, and only in a sentence of a kind that has one", s)
		}
	}
	return nil
}

// Template is one version of one certificate template, as read from its folder.
type Template struct {
	// ID is the template's name on the wire, as its folder is named.
	ID string `json:"template"`
	// Version is the template version on the wire, such as "2.0".
	Version string `json:"version"`
	// Title is the certificate's name as printed on the form.
	Title Text `json:"title"`
	// FormNumber is the agency's form number, such as "FK 7804".
	FormNumber string `json:"formNumber"`
	// ValidFrom is the first day (YYYY-MM-DD) this version may be used.
	ValidFrom string `json:"validFrom"`
	// Agency is the authority that designed the template.
	Agency string `json:"agency"`
	// Rules are the checks JSON Schema cannot express, in the rule vocabulary
	// that package intake implements.
	Rules []Rule `json:"rules"`
	// EmployerCopy describes the copy a patient may hand to an employer,
	// without diagnoses and medical details; nil when the template has none.
	EmployerCopy *EmployerCopy `json:"employerCopy,omitempty"`
	// IssuerRoles are the professional roles that may sign the certificate.
	IssuerRoles []IssuerRole `json:"issuerRoles"`
	// Derive names the answers the normalised record derives its typed
	// parts from (diagnoses, sick-leave periods).
	Derive Derive `json:"derive"`
	// Renewal declares what a renewal (a new certificate pre-filled from
	// this one) leaves out.
	Renewal Renewal `json:"renewal"`
	// Cases says whether and how the certificates count toward the
	// patient's sick-leave cases; nil: they do not.
	Cases *Cases `json:"cases,omitempty"`
	// Attention lists the flags raised on a certificate at intake for the
	// caseworker's attention.
	Attention []Flag `json:"attention,omitempty"`

	// Schema is the raw JSON Schema (draft 2020-12) of a submission.
	Schema json.RawMessage `json:"-"`
	// Form is the form definition: sections and questions in order.
	Form Form `json:"-"`
	// answersRequired are the answers Schema requires (Required), read
	// once when the template is loaded.
	answersRequired []string
}

// EmployerCopy is the employer's variant of a certificate (as AG 7804 is
// of FK 7804): its own title and form number, and the only answers fields
// it shows.
type EmployerCopy struct {
	Title      Text     `json:"title"`
	FormNumber string   `json:"formNumber"`
	Fields     []string `json:"fields"`
}

// IssuerRole is a professional role that may sign, such as a physician.
type IssuerRole struct {
	// Value is the role's code on the wire (issuer.role).
	Value string `json:"value"`
	// Label is the role's name as people read it.
	Label Text `json:"label"`
}

// Renewal declares which questions a renewal clears: the answers that must
// be given afresh, such as the basis and the periods. Clear lists the
// agency's question ids (top-level questions of the form).
type Renewal struct {
	Clear []string `json:"clear"`
}

// ClearedFields returns the answer fields a renewal leaves out, in form order.
func (t *Template) ClearedFields() []string {
	clear := make(map[string]bool, len(t.Renewal.Clear))
	for _, id := range t.Renewal.Clear {
		clear[id] = true
	}
	var fields []string
	for _, q := range t.Form.Questions() {
		if clear[q.ID] {
			fields = append(fields, q.Field)
		}
	}
	return fields
}

// Derive declares which answers give the record's typed parts. A template
// without diagnoses or sick leave leaves the member out.
type Derive struct {
	// Diagnoses names the diagnoses question and the code list of its codes.
	Diagnoses *DeriveDiagnoses `json:"diagnoses,omitempty"`
	// SickLeave names the periods question; its options are the degrees
	// (whole percentages), and the record gets the periods with day counts.
	SickLeave *DeriveSickLeave `json:"sickLeave,omitempty"`
	// ContactRequested names the yes/no or checkbox question by which the
	// physician asks the agency to get in touch: the record gets
	// contactRequested, and the caseworker's queue can filter on it.
	ContactRequested *DeriveField `json:"contactRequested,omitempty"`
}

// DeriveField names one answer the record derives a value from.
type DeriveField struct {
	// Field is the question's field in answers.
	Field string `json:"field"`
}

// DeriveDiagnoses names the answer that holds the diagnoses.
type DeriveDiagnoses struct {
	// Field is the diagnoses question's field in answers.
	Field string `json:"field"`
	// List is the code list the codes are looked up in, such as "icd10se".
	List string `json:"list"`
}

// DeriveSickLeave names the answer that holds the sick-leave periods.
type DeriveSickLeave struct {
	// Field is the periods question's field in answers.
	Field string `json:"field"`
}

// Key returns "template/version", the registry's key for t.
func (t *Template) Key() string { return t.ID + "/" + t.Version }

// Rule is one declared rule. Which fields are used depends on Rule (the
// kind); package intake documents and checks them.
type Rule struct {
	Rule      string         `json:"rule"`
	Field     string         `json:"field,omitempty"`
	Fields    []string       `json:"fields,omitempty"`
	Key       string         `json:"key,omitempty"`
	When      *Condition     `json:"when,omitempty"`
	List      string         `json:"list,omitempty"`
	MinLength []PrefixLength `json:"minLength,omitempty"`
	From      string         `json:"from,omitempty"`
	To        string         `json:"to,omitempty"`
	MinDays   *int           `json:"minDays,omitempty"`
	MaxDays   *int           `json:"maxDays,omitempty"`
	Than      string         `json:"than,omitempty"`
	Where     *Condition     `json:"where,omitempty"`
	Severity  string         `json:"severity,omitempty"`
	Code      string         `json:"code,omitempty"`
	// Message is the problem's sentence for Code, in which %v stands for
	// the kind's value (a limit, a date, a code system: dateLimit,
	// dateNotAfter and codeList have one, the others none); without it the
	// code's must be in intake's message catalogue.
	Message *Text `json:"message,omitempty"`
}

// PrefixLength says that codes starting with Prefix need at least Length
// characters (not counting a dot).
type PrefixLength struct {
	Prefix string `json:"prefix"`
	Length int    `json:"length"`
}

// Condition is a test on a submission, used by rules ("when") and by form
// questions ("dependsOn"). Exactly one of the forms is set: Field with
// Equals, In or Present; Not; AllOf; AnyOf. Field is a JSON Pointer in which
// "*" matches every array element; the test holds if any match passes.
type Condition struct {
	Field   string       `json:"field,omitempty"`
	Equals  any          `json:"equals,omitempty"`
	In      []any        `json:"in,omitempty"`
	Present *bool        `json:"present,omitempty"`
	Not     *Condition   `json:"not,omitempty"`
	AllOf   []*Condition `json:"allOf,omitempty"`
	AnyOf   []*Condition `json:"anyOf,omitempty"`
}

// Form is a template's form definition.
type Form struct {
	Sections []Section `json:"sections"`
}

// Section is a titled group of questions, in the order of the paper form.
type Section struct {
	ID        string     `json:"id"`
	Title     Text       `json:"title"`
	Questions []Question `json:"questions"`
}

// Question is one question of a form, bound to one field of answers (or,
// inside Items, to one field of a repeated item).
type Question struct {
	// ID is the agency's question id, such as "1.3"; empty inside Items.
	ID string `json:"id,omitempty"`
	// Field is the property name in answers (or in the item).
	Field string `json:"field"`
	// Widget is the kind of input, one of the Widget constants.
	Widget    Widget     `json:"widget"`
	Label     Text       `json:"label"`
	Help      *Text      `json:"help,omitempty"`
	Options   []Option   `json:"options,omitempty"`
	DependsOn *Condition `json:"dependsOn,omitempty"`
	Items     []Question `json:"items,omitempty"`
	MaxItems  int        `json:"maxItems,omitempty"`
	// Highlight marks an answer a caseworker must not miss, such as a
	// request for contact or suggested measures: pages make it stand out.
	Highlight bool `json:"highlight,omitempty"`
}

// Option is one choice of an option widget. Value is a string or a number,
// as in the schema's enum.
type Option struct {
	Value any  `json:"value"`
	Label Text `json:"label"`
	// ID is the agency's question id of an option that is a question of
	// its own on the paper form (an impairment area with its own number),
	// so that a completion request may name it.
	ID string `json:"id,omitempty"`
}

// NumberedSV is the option's Swedish label after its question id, when it
// has one ("9. Kommunikation och social interaktion"), as the paper form
// numbers it: how a PDF and a page show it, so that a completion request
// naming question 9 can be found.
func (o Option) NumberedSV() string {
	if o.ID == "" {
		return o.Label.SV
	}
	return o.ID + ". " + o.Label.SV
}

// Questions returns every top-level question of the form, in order.
func (f Form) Questions() []Question {
	var qs []Question
	for _, s := range f.Sections {
		qs = append(qs, s.Questions...)
	}
	return qs
}

// Question returns the top-level question bound to field, if any.
func (f Form) Question(field string) (Question, bool) {
	for _, s := range f.Sections {
		for _, q := range s.Questions {
			if q.Field == field {
				return q, true
			}
		}
	}
	return Question{}, false
}

// QuestionByID returns the top-level question with the agency's id, or
// the one with an option of that id, if any.
func (f Form) QuestionByID(id string) (Question, bool) {
	if id == "" {
		return Question{}, false
	}
	for _, s := range f.Sections {
		for _, q := range s.Questions {
			if q.ID == id {
				return q, true
			}
			for _, o := range q.Options {
				if o.ID == id {
					return q, true
				}
			}
		}
	}
	return Question{}, false
}

// Registry is the set of known template versions.
type Registry struct {
	list  []*Template
	byKey map[string]*Template
}

// Lookup returns the template version, if known.
func (r *Registry) Lookup(template, version string) (*Template, bool) {
	t, ok := r.byKey[template+"/"+version]
	return t, ok
}

// HasTemplate reports whether any version of template is known.
func (r *Registry) HasTemplate(template string) bool {
	for _, t := range r.list {
		if t.ID == template {
			return true
		}
	}
	return false
}

// InForce returns the version of template in force on day (YYYY-MM-DD):
// the newest whose validFrom is not after it, so that next year's version
// can be added as a folder before its first day and is offered (for new
// certificates and renewals) from that day. A version whose day has not
// come is still known: a submission naming it is judged by it.
func (r *Registry) InForce(template, day string) (*Template, bool) {
	var newest *Template
	for _, t := range r.list {
		if t.ID == template && t.ValidFrom <= day {
			newest = t // the list is sorted by version
		}
	}
	return newest, newest != nil
}

// AllInForce returns, for each template, its version in force on day
// (InForce), in the templates' order: what a physician is offered to write.
func (r *Registry) AllInForce(day string) []*Template {
	var out []*Template
	for _, t := range r.list {
		if inForce, ok := r.InForce(t.ID, day); ok && inForce == t {
			out = append(out, t)
		}
	}
	return out
}

// All returns every template version, sorted by template and version.
func (r *Registry) All() []*Template { return r.list }

// IssuerRoles returns every role that some template version lets sign,
// each once, in the order the templates give them: the roles a
// physician's account may have.
func (r *Registry) IssuerRoles() []IssuerRole {
	var roles []IssuerRole
	for _, t := range r.list {
		for _, role := range t.IssuerRoles {
			if !slices.ContainsFunc(roles, func(o IssuerRole) bool { return o.Value == role.Value }) {
				roles = append(roles, role)
			}
		}
	}
	return roles
}

var (
	namePattern    = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	versionPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+){0,2}$`)
	datePattern    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// Load reads every template version folder <template>/<version>/ of fsys
// that holds a template.json. It checks the files' shape (strict JSON, no
// unknown keys, folder names matching the contents, known widget kinds) but
// not the meaning of schemas and rules; intake does that when it compiles.
func Load(fsys fs.FS) (*Registry, error) {
	manifests, err := fs.Glob(fsys, "*/*/template.json")
	if err != nil {
		return nil, fmt.Errorf("schemas: %w", err)
	}
	reg := &Registry{byKey: map[string]*Template{}}
	for _, m := range manifests {
		t, err := loadTemplate(fsys, path.Dir(m))
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", path.Dir(m), err)
		}
		reg.list = append(reg.list, t)
		reg.byKey[t.Key()] = t
	}
	if len(reg.list) == 0 {
		return nil, errors.New("schemas: no template folders (<template>/<version>/template.json) found")
	}
	sort.Slice(reg.list, func(i, j int) bool {
		if reg.list[i].ID != reg.list[j].ID {
			return reg.list[i].ID < reg.list[j].ID
		}
		return compareVersions(reg.list[i].Version, reg.list[j].Version) < 0
	})
	if err := checkFlagTexts(reg.list); err != nil {
		return nil, fmt.Errorf("schemas: %w", err)
	}
	return reg, nil
}

// checkFlagTexts checks that a flag code reads the same in every template
// that raises it: the queue filters by code, across templates, under one
// label.
func checkFlagTexts(list []*Template) error {
	type declared struct {
		in   string // the template version that declared it first
		flag Flag
	}
	first := map[string]declared{}
	for _, t := range list {
		for _, f := range t.Attention {
			d, ok := first[f.Code]
			if !ok {
				first[f.Code] = declared{t.Key(), f}
				continue
			}
			if !sameText(d.flag.Text, f.Text) || !sameText(d.flag.Label, f.Label) {
				return fmt.Errorf("%s and %s: flag %s is worded differently (one code, one text and label)", d.in, t.Key(), f.Code)
			}
		}
	}
	return nil
}

func sameText(a, b *Text) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// MustLoadEmbedded loads the templates compiled into the binary. It panics if
// they do not load, which a test guarantees cannot happen in a release.
func MustLoadEmbedded() *Registry {
	reg, err := Load(embedded)
	if err != nil {
		panic(err)
	}
	return reg
}

func loadTemplate(fsys fs.FS, dir string) (*Template, error) {
	var t Template
	if err := readStrict(fsys, path.Join(dir, "template.json"), &t); err != nil {
		return nil, err
	}
	switch {
	case !namePattern.MatchString(t.ID):
		return nil, fmt.Errorf("template.json: template %q must be a lower-case name", t.ID)
	case !versionPattern.MatchString(t.Version):
		return nil, fmt.Errorf("template.json: version %q must look like 1.0", t.Version)
	case dir != t.ID+"/"+t.Version:
		return nil, fmt.Errorf("template.json names %s/%s but lives in folder %s", t.ID, t.Version, dir)
	case t.Title.SV == "" || t.Title.EN == "":
		return nil, errors.New("template.json: title needs sv and en")
	case t.FormNumber == "":
		return nil, errors.New("template.json: formNumber is required")
	case !datePattern.MatchString(t.ValidFrom):
		return nil, fmt.Errorf("template.json: validFrom %q must be YYYY-MM-DD", t.ValidFrom)
	}
	schema, err := fs.ReadFile(fsys, path.Join(dir, "schema.json"))
	if err != nil {
		return nil, err
	}
	if !json.Valid(schema) {
		return nil, errors.New("schema.json is not valid JSON")
	}
	t.Schema, t.answersRequired = schema, answersRequired(schema)
	if err := readStrict(fsys, path.Join(dir, "form.json"), &t.Form); err != nil {
		return nil, err
	}
	if err := checkForm(t.Form); err != nil {
		return nil, fmt.Errorf("form.json: %w", err)
	}
	if err := checkIssuerRoles(t.IssuerRoles); err != nil {
		return nil, fmt.Errorf("template.json: issuerRoles: %w", err)
	}
	if err := checkDerive(t.Derive, t.Form); err != nil {
		return nil, fmt.Errorf("template.json: derive: %w", err)
	}
	if err := checkRenewal(t.Renewal, t.Form); err != nil {
		return nil, fmt.Errorf("template.json: renewal: %w", err)
	}
	if err := checkCases(t.Cases, t.Attention, t.Derive, t.Form); err != nil {
		return nil, fmt.Errorf("template.json: %w", err)
	}
	return &t, nil
}

func checkForm(f Form) error {
	if len(f.Sections) == 0 {
		return errors.New("no sections")
	}
	sections, fields := map[string]bool{}, map[string]bool{}
	for _, s := range f.Sections {
		if s.ID == "" || sections[s.ID] {
			return fmt.Errorf("section id %q is empty or repeated", s.ID)
		}
		sections[s.ID] = true
		if s.Title.SV == "" {
			return fmt.Errorf("section %s: title needs sv", s.ID)
		}
		for _, q := range s.Questions {
			if fields[q.Field] {
				return fmt.Errorf("field %q is asked twice", q.Field)
			}
			fields[q.Field] = true
			if err := checkQuestion(q); err != nil {
				return fmt.Errorf("section %s: %w", s.ID, err)
			}
		}
	}
	return nil
}

func checkQuestion(q Question) error {
	if q.Field == "" {
		return fmt.Errorf("question %q has no field", q.ID)
	}
	name := fmt.Sprintf("question %s (field %s)", q.ID, q.Field)
	kind, ok := q.Widget.Kind()
	if !ok {
		return fmt.Errorf("%s: unknown widget %q", name, q.Widget)
	}
	if q.Label.SV == "" {
		return fmt.Errorf("%s: label needs sv", name)
	}
	if kind.Options && len(q.Options) == 0 {
		return fmt.Errorf("%s: widget %s needs options", name, q.Widget)
	}
	if kind.Repeated && len(q.Items) == 0 {
		return fmt.Errorf("%s: widget %s needs items", name, q.Widget)
	}
	for _, it := range q.Items {
		if err := checkQuestion(it); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

var rolePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,39}$`)

func checkIssuerRoles(roles []IssuerRole) error {
	if len(roles) == 0 {
		return errors.New("at least one role must be allowed to sign")
	}
	seen := map[string]bool{}
	for _, r := range roles {
		if !rolePattern.MatchString(r.Value) || seen[r.Value] {
			return fmt.Errorf("role %q is not an upper-case code, or is repeated", r.Value)
		}
		if r.Label.SV == "" {
			return fmt.Errorf("role %s: label needs sv", r.Value)
		}
		seen[r.Value] = true
	}
	return nil
}

// checkDerive checks that each derived part names a question of the right
// widget: diagnoses a diagnoses question with a code item, sick leave a
// periods question whose options are whole percentages.
func checkDerive(d Derive, f Form) error {
	if d.Diagnoses != nil {
		q, ok := f.Question(d.Diagnoses.Field)
		switch {
		case !ok || q.Widget != WidgetDiagnoses:
			return fmt.Errorf("diagnoses: field %q is not a question with widget %s", d.Diagnoses.Field, WidgetDiagnoses)
		case d.Diagnoses.List == "":
			return errors.New("diagnoses: list is required")
		}
	}
	if d.ContactRequested != nil {
		q, ok := f.Question(d.ContactRequested.Field)
		if !ok || (q.Widget != WidgetCheckbox && q.Widget != WidgetYesNo) {
			return fmt.Errorf("contactRequested: field %q is not a question with widget %s or %s", d.ContactRequested.Field, WidgetCheckbox, WidgetYesNo)
		}
	}
	if d.SickLeave != nil {
		q, ok := f.Question(d.SickLeave.Field)
		if !ok || q.Widget != WidgetPeriods {
			return fmt.Errorf("sickLeave: field %q is not a question with widget %s", d.SickLeave.Field, WidgetPeriods)
		}
		for _, o := range q.Options {
			if _, ok := Degree(o.Value); !ok {
				return fmt.Errorf("sickLeave: option %v of %s is not a whole percentage 1–100", o.Value, q.Field)
			}
		}
	}
	return nil
}

// checkRenewal checks that every cleared question id names a top-level
// question of the form, once.
func checkRenewal(r Renewal, f Form) error {
	ids := make(map[string]bool)
	for _, q := range f.Questions() {
		if q.ID != "" {
			ids[q.ID] = true
		}
	}
	seen := make(map[string]bool)
	for _, id := range r.Clear {
		switch {
		case !ids[id]:
			return fmt.Errorf("clear: %q is not a question id of the form", id)
		case seen[id]:
			return fmt.Errorf("clear: %q is listed twice", id)
		}
		seen[id] = true
	}
	return nil
}

// Degree returns a sick-leave degree option's value as a whole percentage.
func Degree(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || f != float64(int(f)) || f < 1 || f > 100 {
		return 0, false
	}
	return int(f), true
}

// readStrict decodes one JSON value from name into v, refusing unknown keys
// and trailing data, so that a typo in a template is an error at start-up
// rather than a silently ignored setting.
func readStrict(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if dec.More() {
		return fmt.Errorf("%s: trailing data after the JSON value", name)
	}
	return nil
}

// compareVersions orders dotted version numbers numerically ("2.10" after "2.9").
func compareVersions(a, b string) int {
	for a != "" || b != "" {
		var x, y int
		x, a = leadingNumber(a)
		y, b = leadingNumber(b)
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func leadingNumber(s string) (int, string) {
	n, i := 0, 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if i < len(s) && s[i] == '.' {
		i++
	}
	return n, s[i:]
}

// ResolveRef follows node's local $ref ("#/$defs/…"), if it has one, to
// the subschema of root it names, a bounded number of times so that a cycle
// cannot hang; node itself when it has none or the ref names nothing (the
// JSON Schema library refuses such a schema when it compiles it).
func ResolveRef(root, node map[string]any) map[string]any {
	for range 8 {
		ref, ok := node["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#/") {
			return node
		}
		cur := any(root)
		for _, tok := range strings.Split(ref[2:], "/") {
			m, _ := cur.(map[string]any)
			cur = m[tok]
		}
		next, _ := cur.(map[string]any)
		if next == nil {
			return node
		}
		node = next
	}
	return node
}

// Required reports whether answers field must be given whenever the form
// asks it: the schema requires it, or a "required" rule names it (each
// such rule's condition is one under which the form shows the question).
// The form marks it.
func (t *Template) Required(field string) bool {
	ptr := "/answers/" + field
	for _, r := range t.Rules {
		if r.Rule == "required" && slices.Contains(r.Fields, ptr) {
			return true
		}
	}
	required := t.answersRequired
	if required == nil { // a Template not loaded from its folder
		required = answersRequired(t.Schema)
	}
	return slices.Contains(required, field)
}

// answersRequired are the answers a submission's schema requires.
func answersRequired(schema json.RawMessage) []string {
	var root struct {
		Properties struct {
			Answers struct {
				Required []string `json:"required"`
			} `json:"answers"`
		} `json:"properties"`
	}
	json.Unmarshal(schema, &root)
	return root.Properties.Answers.Required
}

// MaxLength returns the maxLength the template's JSON Schema sets for the
// string at path below answers (a field, or a field and an item member
// such as "functionalImpairment", "text"), following local $refs and array
// items; 0 when there is none. The form shows it as a character counter.
func (t *Template) MaxLength(path ...string) int {
	var root map[string]any
	if json.Unmarshal(t.Schema, &root) != nil {
		return 0
	}
	resolve := func(n map[string]any) map[string]any { return ResolveRef(root, n) }
	member := func(n map[string]any, name string) map[string]any {
		n = resolve(n)
		if items, ok := n["items"].(map[string]any); ok {
			n = resolve(items)
		}
		props, _ := n["properties"].(map[string]any)
		m, _ := props[name].(map[string]any)
		return m
	}
	n := member(root, "answers")
	for _, p := range path {
		if n = member(n, p); n == nil {
			return 0
		}
	}
	n = resolve(n)
	if items, ok := n["items"].(map[string]any); ok && n["maxLength"] == nil {
		n = resolve(items)
	}
	f, _ := n["maxLength"].(float64)
	return int(f)
}
