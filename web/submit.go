package web

import (
	"context"
	"strings"
	"time"

	"github.com/intyg/intyg/intake"
)

// submitter is the one submit step that the API and the physician form
// share: intake of the submitted bytes, the token's unit check, the store
// (durable before it returns), and the submission metrics.
type submitter struct {
	eng   *intake.Engine
	certs certificateStore
	m     *metrics
	now   func() time.Time
}

// submit runs the intake of body, checks that the actor may submit for the
// certificate's unit and stores it under the retry key idem gives for that
// unit (nil: none), with the attention flags computed from the patient's
// stored certificates. It returns the stored certificate, with its warnings,
// and whether it was a replay of an earlier submission with the same key
// and bytes. Returns EMALFORMED, ETOOLARGE or EINVALID from intake,
// EFORBIDDEN for another unit, and ECONFLICT for a used key with other
// bytes or a relation the original's state forbids. oneInForce: signed on
// the pages (intake.Certificate.OneInForce).
func (s *submitter) submit(ctx context.Context, a *intake.Actor, body []byte, idem func(unit string) *intake.Idempotency, oneInForce bool) (*intake.Certificate, bool, error) {
	cert, err := s.eng.Intake(body, s.now())
	if err != nil {
		return nil, false, s.refusal(ctx, a, body, err, true)
	}
	cert.OneInForce = oneInForce
	if !a.CoversUnit(cert.Issuer.Unit.HSAID) {
		s.m.certificates.WithLabelValues(cert.Template, "refused").Inc()
		if len(a.Units) == 0 {
			return nil, false, intake.Failure(intake.EFORBIDDEN, "refused.noUnit")
		}
		return nil, false, intake.Failure(intake.EFORBIDDEN, "refused.units", strings.Join(a.Units, ", "))
	}
	// The flags look at the patient's certificates stored so far, every
	// unit's: the case this one joins, and overlaps with other units. The
	// store reads them where it stores this one.
	var flags intake.FlagFunc
	if t, _ := s.eng.Template(cert.Template, cert.Version); t.Cases != nil {
		flags = s.eng.Flags
	}
	cert.Via = actorID(a)
	stored, replay, err := s.certs.CreateCertificate(ctx, cert, body, idem(cert.Issuer.Unit.HSAID), flags)
	if err != nil {
		return nil, false, err
	}
	if !replay {
		s.m.certificates.WithLabelValues(stored.Template, "accepted").Inc()
	}
	return stored, replay, nil
}

// check runs the checks of a submission without storing it (POST
// /certificates/validate): intake, and, for a unit the actor may submit
// for, the relation to the stored original as it is now, refused as a
// submission would be (422 notFound or relationMismatch, 409 for a state
// that forbids it).
func (s *submitter) check(ctx context.Context, a *intake.Actor, body []byte) (*intake.Certificate, error) {
	cert, err := s.eng.Intake(body, s.now())
	if err != nil {
		return nil, s.refusal(ctx, a, body, err, false)
	}
	if err := s.checkRelation(ctx, a, cert); err != nil {
		return nil, err
	}
	return cert, nil
}

// checkRelation checks cert's relation, if any, to the stored original as
// it is now, for a unit the actor may submit for: nil, or the refusal a
// submission would get (422 notFound or relationMismatch, 409 for a state
// that forbids it).
func (s *submitter) checkRelation(ctx context.Context, a *intake.Actor, cert *intake.Certificate) error {
	rel := cert.Relation
	if rel == nil || !a.CoversUnit(cert.Issuer.Unit.HSAID) {
		return nil
	}
	t, err := s.certs.FindRelationTarget(ctx, rel.Certificate)
	if err != nil {
		return err
	}
	return intake.CheckRelation(cert, t)
}

// refusal is intake's refusal err of body with what the store can add of
// its relation, and counted in the metrics if count. What it needs of the
// body is decoded once: its template for the metrics, its relation for
// the problems.
func (s *submitter) refusal(ctx context.Context, a *intake.Actor, body []byte, err error, count bool) error {
	doc, derr := s.eng.Decode(body)
	if derr != nil {
		doc = nil
	}
	if count {
		s.m.certificates.WithLabelValues(templateLabel(s.eng, doc), "refused").Inc()
	}
	return s.withRelationProblems(ctx, a, doc, err)
}

// withRelationProblems adds to intake's refusal of doc (nil: the body did
// not decode) what only the store can tell of its relation (the original
// not found, another patient's or template's), so that the 422 lists
// every problem found. Only for a unit the actor may submit for: another
// unit's certificates stay unseen. If the original cannot be read, the
// refusal goes as intake made it.
func (s *submitter) withRelationProblems(ctx context.Context, a *intake.Actor, doc map[string]any, err error) error {
	if intake.ErrorCode(err) != intake.EINVALID || doc == nil {
		return err
	}
	id, unit, ok := intake.RelationOf(doc)
	if !ok || !a.CoversUnit(unit) {
		return err
	}
	t, terr := s.certs.FindRelationTarget(ctx, id)
	if terr != nil {
		return err
	}
	return s.eng.WithRelationProblems(err, doc, t, s.now())
}

// templateLabel names the template of a refused body, decoded as doc (nil:
// it did not decode), for metrics, only if it is a known one (labels must
// stay few).
func templateLabel(eng *intake.Engine, doc map[string]any) string {
	name, _ := doc["template"].(string)
	if !eng.Registry().HasTemplate(name) {
		return "unknown"
	}
	return name
}
