package intake

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // "today" is a date in Europe/Stockholm wherever Intyg runs

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/intyg/intyg/schemas"
)

// clockSkew is how far in the future signedAt may lie.
const clockSkew = 5 * time.Minute

// Engine validates and normalises submissions against a set of templates.
// It is safe for concurrent use; build it once at start-up.
type Engine struct {
	reg       *schemas.Registry
	templates map[string]*compiled
	// envelope is the template whose schema judges the envelope of a
	// submission that names no known template (envelopeOnly).
	envelope  *compiled
	lists     map[string]*CodeList
	icd       *CodeList
	stockholm *time.Location
	maxBytes  int
	// known holds the templates' strings for Decode (see addKnownStrings).
	known map[string]any
	// decoders keeps Decode's decoders for reuse.
	decoders sync.Pool
}

// compiled is one template version ready for use.
type compiled struct {
	tmpl   *schemas.Template
	schema *jsonschema.Schema
	// quick decides the common case of a schema the library accepts (see
	// quickSchema); nil when the schema uses a keyword it does not know.
	quick *quickSchema
	rules []rule
	// roles are the issuer roles that may sign.
	roles []string
	// degrees are the sick-leave degrees (the periods question's options).
	degrees []int
	// diagnosisList is the code list of the derived diagnoses.
	diagnosisList *CodeList
	// exclude is the cases block's exclude condition, compiled.
	exclude *condition
	// dependsOn is each question's dependsOn condition, compiled, by
	// field; a question without one is absent (nil: it holds).
	dependsOn map[string]*condition
}

// NewEngine compiles every template of reg (its JSON Schema and declared
// rules) against the code lists. icd is the ICD-10-SE list. maxBytes bounds
// a submission (0: DefaultMaxBytes). It returns an error naming the template
// and the fault if any template does not compile, or if its rules, conditions
// or form name a place its schema does not declare or declares in another
// shape (see template.go).
func NewEngine(reg *schemas.Registry, icd *CodeList, maxBytes int) (*Engine, error) {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		return nil, fmt.Errorf("intake: %w", err)
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	e := &Engine{
		reg:       reg,
		templates: map[string]*compiled{},
		lists:     map[string]*CodeList{icd.Name: icd},
		icd:       icd,
		stockholm: loc,
		maxBytes:  maxBytes,
		known:     map[string]any{},
	}
	for _, t := range reg.All() {
		c := &compiled{tmpl: t}
		if c.schema, err = compileSchema("mem:///"+t.Key()+"/schema.json", t.Schema); err != nil {
			return nil, fmt.Errorf("intake: template %s: schema: %w", t.Key(), err)
		}
		if err := addKnownStrings(e.known, t.Schema); err != nil {
			return nil, fmt.Errorf("intake: template %s: schema: %w", t.Key(), err)
		}
		c.quick, _ = compileQuickSchema(t.Schema) // TestQuickSchemaCompiles wants one for every template
		tree, err := newSchemaTree(t.Schema)
		if err != nil {
			return nil, fmt.Errorf("intake: template %s: schema: %w", t.Key(), err)
		}
		for i, r := range t.Rules {
			cr, err := compileRule(r, e.lists)
			if err != nil {
				return nil, fmt.Errorf("intake: template %s: rule %d: %w", t.Key(), i+1, err)
			}
			if err := tree.checkRule(r); err != nil {
				return nil, fmt.Errorf("intake: template %s: rule %d (%s): %w", t.Key(), i+1, r.Rule, err)
			}
			c.rules = append(c.rules, cr)
		}
		// The required rules first, so that what they find missing decides
		// no other rule's condition (reporter.refused), whatever the
		// template's order.
		slices.SortStableFunc(c.rules, func(a, b rule) int {
			return cmp.Compare(notRequired(a), notRequired(b))
		})
		linkForbidden(c.rules)
		c.dependsOn = map[string]*condition{}
		for _, q := range t.Form.Questions() {
			if err := checkCondition(q.DependsOn); err != nil {
				return nil, fmt.Errorf("intake: template %s: question %s: dependsOn: %w", t.Key(), q.Field, err)
			}
			if q.DependsOn != nil {
				c.dependsOn[q.Field] = compileCondition(q.DependsOn)
			}
		}
		if t.Cases != nil {
			c.exclude = compileCondition(t.Cases.Exclude)
		}
		if err := tree.checkTemplate(t); err != nil {
			return nil, fmt.Errorf("intake: template %s: %w", t.Key(), err)
		}
		if err := checkAttention(t); err != nil {
			return nil, fmt.Errorf("intake: template %s: %w", t.Key(), err)
		}
		if err := e.compileDerive(c); err != nil {
			return nil, fmt.Errorf("intake: template %s: derive: %w", t.Key(), err)
		}
		e.templates[t.Key()] = c
		if e.envelope == nil {
			e.envelope = c
		}
	}
	return e, nil
}

// compileDerive resolves what the template's derive block and issuer roles
// name: the code list of the diagnoses and the degrees of the periods.
func (e *Engine) compileDerive(c *compiled) error {
	for _, r := range c.tmpl.IssuerRoles {
		c.roles = append(c.roles, r.Value)
	}
	if d := c.tmpl.Derive.Diagnoses; d != nil {
		if c.diagnosisList = e.lists[d.List]; c.diagnosisList == nil {
			return fmt.Errorf("diagnoses: unknown code list %q", d.List)
		}
	}
	if d := c.tmpl.Derive.SickLeave; d != nil {
		q, _ := c.tmpl.Form.Question(d.Field)
		for _, o := range q.Options {
			n, _ := schemas.Degree(o.Value)
			c.degrees = append(c.degrees, n)
		}
	}
	return nil
}

// CodeList returns a code list the templates may name, such as "icd10se".
func (e *Engine) CodeList(name string) (*CodeList, bool) {
	cl, ok := e.lists[name]
	return cl, ok
}

// Registry returns the templates the engine knows.
func (e *Engine) Registry() *schemas.Registry { return e.reg }

// MaxBytes returns the largest submission the engine accepts.
func (e *Engine) MaxBytes() int { return e.maxBytes }

// Decode parses a submission strictly (see the package function Decode) and
// applies the free-text rules: strings trimmed and in NFC. Blank members
// stay; Validate removes those where the template asks for text.
func (e *Engine) Decode(b []byte) (map[string]any, error) {
	doc, _, err := decode(b, e.maxBytes, true, e.known, &e.decoders)
	return doc, err
}

// Validate checks a decoded submission against its template: the JSON
// Schema, the envelope rules (identity number, signing time not after now)
// and the template's declared rules. It returns the non-blocking warnings,
// and an EINVALID *Error listing every problem, sorted, if any rule is broken.
func (e *Engine) Validate(doc map[string]any, now time.Time) (Problems, error) {
	return e.validate(doc, now, docFacts{})
}

// validate is Validate of a document about which facts are known, so that
// it need not check them again.
func (e *Engine) validate(doc map[string]any, now time.Time, facts docFacts) (Problems, error) {
	c, ps := e.lookup(doc)
	if c == nil {
		return nil, invalid(append(ps, e.envelopeOnly(doc, now, facts)...))
	}
	if !facts.noBlank {
		c.dropBlanks(doc)
	}
	// The relation belongs to the lifecycle, shared by every template, not
	// to a template's schema.
	rel, hasRelation := doc["relation"]
	delete(doc, "relation")
	ps, err := c.schemaProblems(doc, facts.utf8OK)
	if hasRelation {
		doc["relation"] = rel
		ps = append(ps, relationProblems(rel)...)
	}
	if err != nil {
		return nil, fmt.Errorf("intake: validate: %w", err)
	}
	// signedAt is read once here, for the envelope rules and the signing day.
	signedAt, err := parseSignedAt(str(doc, "signedAt"))
	signed := err == nil
	var today Date
	if signed {
		today = e.dayOf(signedAt)
	}
	ps = append(ps, e.envelopeProblems(doc, signedAt, signed, today, now)...)
	ps = append(ps, c.derivedProblems(doc)...)
	if !facts.noControl {
		ps = controlProblems(doc, ps)
	}
	rp := newReporter(ps)
	for i := range c.rules {
		c.rules[i].apply(doc, today, &rp) // not a copy of the rule: rp keeps a pointer to it
	}
	if len(rp.ps) > 0 {
		return nil, invalid(rp.ps)
	}
	return sortProblems(rp.warnings), nil
}

// Intake runs the whole intake of submitted bytes: Decode, Validate and
// Normalize. now is the receiving time, for the "not in the future" rules.
func (e *Engine) Intake(b []byte, now time.Time) (*Certificate, error) {
	doc, facts, err := decode(b, e.maxBytes, true, e.known, &e.decoders)
	if err != nil {
		return nil, err
	}
	warnings, err := e.validate(doc, now, facts)
	if err != nil {
		return nil, err
	}
	cert, err := e.Normalize(doc)
	if err != nil {
		return nil, err
	}
	cert.Warnings = warnings
	return cert, nil
}

// Template returns the template version a certificate or submission names.
func (e *Engine) Template(template, version string) (*schemas.Template, bool) {
	c, ok := e.templates[template+"/"+version]
	if !ok {
		return nil, false
	}
	return c.tmpl, true
}

// envelopeOnly returns the problems of doc's envelope (the patient, the
// issuer, signedAt, a member no template has, the relation: what every
// template shares) when doc names no known template version, so that the
// refusal lists every problem found, not only that one. It checks them
// with one template's schema, since the envelope is the same in each
// (TestEnvelopeShared), and leaves the answers, which only their own
// template can judge.
func (e *Engine) envelopeOnly(doc map[string]any, now time.Time, facts docFacts) Problems {
	c := e.envelope
	if c == nil {
		return nil
	}
	env := make(map[string]any, len(doc))
	for k, v := range doc {
		if _, isObject := v.(map[string]any); k == "answers" && isObject {
			v = map[string]any{}
		}
		env[k] = v
	}
	delete(env, "relation")
	env["template"], env["version"] = c.tmpl.ID, c.tmpl.Version
	if !facts.noBlank {
		c.dropBlanks(env)
	}
	ps, err := c.schemaProblems(env, facts.utf8OK)
	if err != nil {
		return nil
	}
	ps = slices.DeleteFunc(ps, func(p Problem) bool { return strings.HasPrefix(p.Pointer, "/answers/") })
	if rel, ok := doc["relation"]; ok {
		ps = append(ps, relationProblems(rel)...)
	}
	signedAt, err := parseSignedAt(str(env, "signedAt"))
	var today Date
	if err == nil {
		today = e.dayOf(signedAt)
	}
	ps = append(ps, e.envelopeProblems(env, signedAt, err == nil, today, now)...)
	if !facts.noControl {
		ps = controlProblems(env, ps)
	}
	return ps
}

// dropBlanks removes the members of doc that are blank text where the
// template asks for text (quickSchema.dropBlanks); without a quick schema,
// every blank member.
func (c *compiled) dropBlanks(doc map[string]any) {
	if c.quick == nil {
		dropEveryBlank(doc)
		return
	}
	c.quick.dropBlanks(doc)
}

// lookup finds the compiled template the document names, or the problems
// at /template and /version that say why not. Blank text in either counts
// as missing.
func (e *Engine) lookup(doc map[string]any) (*compiled, Problems) {
	dropBlanks(doc, "template", "version")
	var ps Problems
	name, ok := doc["template"].(string)
	switch {
	case doc["template"] == nil:
		ps = append(ps, problem("/template", "required", nil))
	case !ok:
		ps = append(ps, problem("/template", "type", "string"))
	case !e.reg.HasTemplate(name):
		ps = append(ps, problem("/template", "unknownTemplate", name))
	}
	version, vok := doc["version"].(string)
	switch {
	case doc["version"] == nil:
		ps = append(ps, problem("/version", "required", nil))
	case !vok:
		ps = append(ps, problem("/version", "type", "string"))
	case len(ps) == 0 && e.templates[name+"/"+version] == nil:
		ps = append(ps, problem("/version", "unknownVersion", version))
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return e.templates[name+"/"+version], nil
}

// dayOf returns the date of signing time t in Europe/Stockholm.
func (e *Engine) dayOf(t time.Time) Date {
	y, m, d := t.In(e.stockholm).Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// envelopeProblems checks the envelope rules that every template shares and
// that need a clock or the identity-number algorithm. signed tells whether
// signedAt was read from the document; today is its day.
func (e *Engine) envelopeProblems(doc map[string]any, signedAt time.Time, signed bool, today Date, now time.Time) Problems {
	var ps Problems
	if signed && signedAt.After(now.Add(clockSkew)) {
		ps = append(ps, NewProblem("/signedAt", "dateInFuture", "signedAt.future", nil))
	}
	patient, _ := doc["patient"].(map[string]any)
	if id, ok := patient["id"].(string); ok {
		ref := today
		if ref.IsZero() {
			ref = e.dayOf(now) // no signing time: today in Stockholm
		}
		if _, err := ParsePersonalID(id, ref.Time); err != nil {
			ps = append(ps, PersonalIDProblem("/patient/id", err))
		}
	}
	return ps
}

// parseSignedAt parses an RFC 3339 time as the schema's date-time format
// accepts it (quickDateTime): "t" and "z" in lower case and a leap second,
// which Go's parser does not take, read as the second before it; not an
// offset past 23:59 or a year before MinYear, which Go's parser does. A
// time the format refuses (invalidDateTime) decides no rule's "today".
func parseSignedAt(s string) (time.Time, error) {
	if !quickDateTime(s) {
		return time.Time{}, errNotDateTime
	}
	if s[17:19] == "60" {
		s = s[:17] + "59" + s[19:]
	}
	return time.Parse(time.RFC3339, UpperASCII(s))
}

var errNotDateTime = fmt.Errorf("intake: not an RFC 3339 time from %d on", MinYear)

// controlProblems reports strings holding control characters other than
// tab, line feed and carriage return: they are no part of a certificate's
// text, and PostgreSQL cannot store NUL in JSON. It walks every value once
// (Decode bounds their number) and builds a pointer only for a problem.
func controlProblems(doc any, ps Problems) Problems {
	walkControl(doc, make([]pathToken, 0, maxDepth+1), &ps)
	return ps
}

// firstControl returns the first control character in s that a text may
// not hold. Control characters are ASCII, and in UTF-8 no byte of another
// character is below 0x80, so a byte loop finds them.
func firstControl(s string) (byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
			return c, true
		}
	}
	return 0, false
}

func walkControl(v any, path []pathToken, ps *Problems) {
	switch v := v.(type) {
	case string:
		if c, found := firstControl(v); found {
			*ps = append(*ps, problem(pathPointer(path), "invalidCharacter", fmt.Sprintf("U+%04X", c)))
		}
	case map[string]any:
		for k, x := range v {
			walkControl(x, append(path, pathToken{name: k, index: -1}), ps)
		}
	case []any:
		for i, x := range v {
			walkControl(x, append(path, pathToken{index: i}), ps)
		}
	}
}

// pathToken is one step of a walk: a member name, or an array index when
// index is not negative.
type pathToken struct {
	name  string
	index int
}

// pathPointer returns the escaped pointer of a walk's path.
func pathPointer(path []pathToken) string {
	b := make([]byte, 0, 64)
	for _, t := range path {
		b = append(b, '/')
		if t.index >= 0 {
			b = strconv.AppendInt(b, int64(t.index), 10)
		} else {
			b = append(b, EscapeToken(t.name)...)
		}
	}
	return string(b)
}

// PersonalIDProblem is the problem at pointer of an identity number that
// ParsePersonalID refused with err: the same code and message wherever one
// is read (a submission, a case query, a list's filter).
func PersonalIDProblem(pointer string, err error) Problem {
	switch err {
	case ErrIDChecksum:
		return problem(pointer, "checksum", nil)
	case ErrIDInterim:
		return problem(pointer, "interimNumber", nil)
	case ErrIDDate:
		return NewProblem(pointer, "invalidDate", "personalID.date", nil)
	case ErrIDBirthNumber:
		return NewProblem(pointer, "format", "personalID.birthNumber", nil)
	}
	return problem(pointer, "format", "YYYYMMDD-NNNN")
}

// invalid returns the EINVALID error for ps: sorted, and at most
// maxProblems of them (see capProblems), so that a hostile submission cannot
// make a refusal of megabytes.
func invalid(ps Problems) *Error {
	ps = sortProblems(withoutWhatIsNotAllowed(ps))
	if len(ps) > maxProblems {
		return Failure(EINVALID, "invalid.certificateTooManyProblems", len(ps), maxProblems).WithProblems(capProblems(ps))
	}
	return Failure(EINVALID, "invalid.certificate").WithProblems(ps)
}

// withoutWhatIsNotAllowed drops the problems of a value that must not be
// there at all (notAllowed at its pointer): what else is wrong at it or
// inside it (an empty list's minItems, a blank number's type) is noise
// once it goes.
func withoutWhatIsNotAllowed(ps Problems) Problems {
	var gone map[string]bool
	for _, p := range ps {
		if p.Code == "notAllowed" {
			if gone == nil {
				gone = map[string]bool{}
			}
			gone[p.Pointer] = true
		}
	}
	if gone == nil {
		return ps
	}
	out := ps[:0]
	for _, p := range ps {
		if p.Code == "notAllowed" || !withinAny(p.Pointer, gone) {
			out = append(out, p)
		}
	}
	return out
}
