package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/intyg/intyg/intake"
)

// tokenStore finds API tokens; web needs nothing else of them.
type tokenStore interface {
	FindTokenBySecret(ctx context.Context, secret string) (*intake.Token, error)
}

type actorKey struct{}

// actorFrom returns who makes the request; routes behind authenticate or
// signedIn always have one, others nil.
func actorFrom(ctx context.Context) *intake.Actor {
	a, _ := ctx.Value(actorKey{}).(*intake.Actor)
	return a
}

// authenticate requires "Authorization: Bearer <token>" naming a live token
// with one of roles: 401 without a valid token, 403 for another role. The
// bodies say no more than that.
//
// A token that is not valid is a security event: it is written to the
// access log and counts against the address, which is slowed down and
// then refused (429) after repeated failures. A live token is let through
// whatever its address did before: a region's clinic systems reach the
// service through one address, and one of them retrying with a revoked
// token must not stop the others' submissions. A secret is 256 random
// bits, so the throttle guards against noise, not against guessing.
func authenticate(logger *slog.Logger, tokens tokenStore, sec *security, roles ...intake.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
			if !strings.EqualFold(scheme, "Bearer") || secret == "" {
				if sec.throttled(w, r) {
					return
				}
				sec.event(r, eventUnauthorized, nil)
				writeError(logger, w, r, intake.Failure(intake.EUNAUTHORIZED, "refused.unauthorized"))
				return
			}
			tok, err := tokens.FindTokenBySecret(r.Context(), strings.TrimSpace(secret))
			if intake.ErrorCode(err) == intake.EUNAUTHORIZED {
				// Only a token found not valid is refused for its
				// address's failures: a store that cannot be read now is
				// 503 here as anywhere, not 429 for what may be a live token.
				if sec.throttled(w, r) {
					return
				}
				var refused *intake.TokenRefused
				var known *intake.Actor // a token that no longer works, named in the log
				if errors.As(err, &refused) {
					known = &intake.Actor{Token: refused.Token}
				}
				sec.failedAs(r, known)
			}
			if err != nil {
				writeError(logger, w, r, err)
				return
			}
			admit(logger, sec, w, r, next, &intake.Actor{Token: tok, Units: tok.Units}, roles)
		})
	}
}

// admit lets an actor through if its role is one of roles (403 otherwise,
// a security event), naming it in the request log and the request context.
func admit(logger *slog.Logger, sec *security, w http.ResponseWriter, r *http.Request, next http.Handler, a *intake.Actor, roles []intake.Role) {
	setLogActor(r.Context(), a)
	if !slices.Contains(roles, a.Role()) {
		sec.record(r, eventForbidden, a)
		writeError(logger, w, r, intake.Failure(intake.EFORBIDDEN, "refused.forbidden"))
		return
	}
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, a)))
}
