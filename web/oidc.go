package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/intyg/intyg/intake"
)

// This file signs people in through the region's OpenID Connect identity
// provider: GET /sign-in/oidc sends the browser there (authorization code
// flow with state, nonce and PKCE), and GET /sign-in/oidc/callback takes
// the code back, verifies the ID token and starts the same session a
// password does for the user whose personal HSA-id the token names.

// oidcCallbackPath is where the provider sends the browser back.
const oidcCallbackPath = "/sign-in/oidc/callback"

// OIDCConfig is how to reach the region's identity provider.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is at
	// Issuer + "/.well-known/openid-configuration".
	Issuer string
	// ClientID is Intyg's client id at the provider.
	ClientID string
	// ClientSecret is Intyg's client secret at the provider.
	ClientSecret string
	// Claim is the ID-token claim that holds the person's HSA-id.
	Claim string
	// PublicURL is where browsers reach Intyg (https://intyg.region.se);
	// the callback is PublicURL + "/sign-in/oidc/callback".
	PublicURL string
}

// OIDCProvider is a discovered identity provider, ready to sign people in.
type OIDCProvider struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	claim    string
	// client makes every request to the provider, with a timeout.
	client *http.Client
	// cookieKey signs the flow cookie; it is derived from the client
	// secret, so that every instance of Intyg shares it.
	cookieKey []byte
}

// NewOIDCProvider checks c and fetches the provider's discovery document.
// It returns an error naming the issuer if the provider cannot be reached
// or does not answer as one.
func NewOIDCProvider(ctx context.Context, c OIDCConfig) (*OIDCProvider, error) {
	for _, f := range []struct{ name, v string }{
		{"issuer", c.Issuer}, {"client id", c.ClientID}, {"client secret", c.ClientSecret}, {"claim", c.Claim}, {"public URL", c.PublicURL},
	} {
		if strings.TrimSpace(f.v) == "" {
			return nil, fmt.Errorf("oidc: the %s is required", f.name)
		}
	}
	public, err := url.Parse(c.PublicURL)
	if err != nil || (public.Scheme != "https" && public.Scheme != "http") || public.Host == "" {
		return nil, fmt.Errorf("oidc: public URL %q is not an http or https URL", c.PublicURL)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, client), c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discover issuer %s: %w", c.Issuer, err)
	}
	mac := hmac.New(sha256.New, []byte(c.ClientSecret))
	mac.Write([]byte("intyg oidc flow cookie v1"))
	return &OIDCProvider{
		oauth: oauth2.Config{
			ClientID:     c.ClientID,
			ClientSecret: c.ClientSecret,
			Endpoint:     p.Endpoint(),
			RedirectURL:  strings.TrimSuffix(c.PublicURL, "/") + oidcCallbackPath,
			Scopes:       []string{oidc.ScopeOpenID},
		},
		// The token's times come from the provider's clock, so they are
		// checked against the real clock, not the server's Options.Now.
		verifier:  p.VerifierContext(oidc.ClientContext(context.Background(), client), &oidc.Config{ClientID: c.ClientID}),
		claim:     c.Claim,
		client:    client,
		cookieKey: mac.Sum(nil),
	}, nil
}

// The flow cookie carries one sign-in's state, nonce, PKCE verifier and
// next page from the start to the callback. It is signed, HttpOnly and
// SameSite=Lax (the callback is a navigation from the provider's site),
// lives ten minutes and is cleared at the callback. Over HTTPS its name
// has the "__Host-" prefix, as the session cookie's has.
const (
	oidcCookie       = "__Host-intyg_oidc"
	oidcCookiePlain  = "intyg_oidc"
	oidcCookieMaxAge = 10 * 60
)

// oidcFlow is what the flow cookie holds.
type oidcFlow struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	Next     string `json:"next"`
	Expires  int64  `json:"expires"`
}

// seal returns the cookie value of f: its JSON and a MAC of it, both base64.
func (p *OIDCProvider) seal(f oidcFlow) string {
	b, _ := json.Marshal(f)
	body := base64.RawURLEncoding.EncodeToString(b)
	mac := hmac.New(sha256.New, p.cookieKey)
	mac.Write([]byte(body))
	return body + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// open returns the flow a cookie value holds, if its MAC is right and it
// has not expired.
func (p *OIDCProvider) open(value string, now time.Time) (oidcFlow, error) {
	var f oidcFlow
	body, sig, ok := strings.Cut(value, ".")
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil {
		return f, errors.New("flow cookie malformed")
	}
	mac := hmac.New(sha256.New, p.cookieKey)
	mac.Write([]byte(body))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return f, errors.New("flow cookie signature wrong")
	}
	b, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || json.Unmarshal(b, &f) != nil {
		return f, errors.New("flow cookie malformed")
	}
	if now.Unix() >= f.Expires {
		return f, errors.New("flow cookie expired")
	}
	return f, nil
}

// setOIDCCookie sets (or, with value "", clears) the flow cookie.
func setOIDCCookie(w http.ResponseWriter, r *http.Request, value string) {
	setHostCookie(w, r, oidcCookie, oidcCookiePlain, value, oidcCookieMaxAge)
}

// oidcCookieValue returns the flow cookie the request carries, or "".
func oidcCookieValue(r *http.Request) string { return hostCookie(r, oidcCookie, oidcCookiePlain) }

// randomString returns 32 random bytes, base64.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// handleOIDCSignIn handles GET /sign-in/oidc?next=…: a new flow in the
// cookie, and on to the provider. Without a provider there is nothing here.
func handleOIDCSignIn(logger *slog.Logger, idp *OIDCProvider, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		if idp == nil {
			return intake.Failure(intake.ENOTFOUND, "notFound.path", r.URL.Path)
		}
		f := oidcFlow{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(),
			Next: localPath(r.URL.Query().Get("next")), Expires: now().Add(oidcCookieMaxAge * time.Second).Unix()}
		setOIDCCookie(w, r, idp.seal(f))
		http.Redirect(w, r, idp.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusSeeOther)
		return nil
	})
}

// handleOIDCCallback handles GET /sign-in/oidc/callback?code=…&state=…:
// the flow cookie must be there, signed, unexpired and of the same state;
// the code is exchanged (with the PKCE verifier), and the ID token must be
// the provider's, for Intyg, unexpired and of the flow's nonce. The claim
// names an HSA-id; its active user is signed in as with a password.
//
// Every refusal shows the sign-in page (401) and is a security event; a
// refused flow counts against the address, like a wrong password. An
// unknown or disabled person reads only that there is no active account
// for the identity.
func handleOIDCCallback(logger *slog.Logger, idp *OIDCProvider, sessions sessionStore, users identityStore, sec *security, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		if idp == nil {
			return intake.Failure(intake.ENOTFOUND, "notFound.path", r.URL.Path)
		}
		if sec.throttled(w, r) {
			return nil
		}
		ctx := oidc.ClientContext(r.Context(), idp.client)
		refuse := func(next, key, reason string, a *intake.Actor) error {
			logger.WarnContext(ctx, "oidc sign-in refused", "reason", reason)
			// A broken flow may be forged: it counts against the address.
			// An identity without an account was vouched for by the
			// provider: it is recorded, naming the person if known.
			if key == "signIn.oidcFailed" {
				sec.failed(r)
			} else {
				sec.record(r, eventUnauthorized, a)
			}
			page := signInPage{layout: layout{Title: "Logga in"}, Next: next, Error: intake.Text(key, "sv"), OIDC: true}
			return renderPage(w, http.StatusUnauthorized, "sign_in", page)
		}

		value := oidcCookieValue(r)
		setOIDCCookie(w, r, "") // one flow, one callback
		if value == "" {
			return refuse("/", "signIn.oidcFailed", "no flow cookie", nil)
		}
		f, err := idp.open(value, now())
		if err != nil {
			return refuse("/", "signIn.oidcFailed", err.Error(), nil)
		}
		q := r.URL.Query()
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
			return refuse(f.Next, "signIn.oidcFailed", "state differs from the flow cookie's", nil)
		}
		if e := q.Get("error"); e != "" {
			return refuse(f.Next, "signIn.oidcFailed", "provider answered "+e, nil)
		}
		tok, err := idp.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
		var refused *oauth2.RetrieveError
		switch {
		case errors.As(err, &refused):
			return refuse(f.Next, "signIn.oidcFailed", "code exchange refused: "+refused.ErrorCode, nil)
		case err != nil:
			// Why goes to the log only: the provider's inner addresses
			// are not the browser's to see.
			return fmt.Errorf("%w (%v)", intake.Failure(intake.EUNAVAILABLE, "unavailable.identityProvider"), err)
		}
		raw, _ := tok.Extra("id_token").(string)
		if raw == "" {
			return refuse(f.Next, "signIn.oidcFailed", "no ID token", nil)
		}
		idToken, err := idp.verifier.Verify(ctx, raw)
		if err != nil {
			return refuse(f.Next, "signIn.oidcFailed", err.Error(), nil)
		}
		if subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(f.Nonce)) != 1 {
			return refuse(f.Next, "signIn.oidcFailed", "nonce differs from the flow cookie's", nil)
		}
		var claims map[string]any
		if err := idToken.Claims(&claims); err != nil {
			return refuse(f.Next, "signIn.oidcFailed", err.Error(), nil)
		}
		// Users without an HSA-id have an empty one: an empty claim must
		// never find them.
		hsaID, _ := claims[idp.claim].(string)
		if hsaID = strings.TrimSpace(hsaID); hsaID == "" {
			return refuse(f.Next, "signIn.oidcNoAccount", "claim "+idp.claim+" missing or not a string", nil)
		}
		u, err := users.FindUserByHSAID(r.Context(), hsaID)
		switch {
		case intake.ErrorCode(err) == intake.ENOTFOUND:
			return refuse(f.Next, "signIn.oidcNoAccount", "no user with the claim's HSA-id", nil)
		case err != nil:
			return err
		case !u.DisabledAt.IsZero():
			return refuse(f.Next, "signIn.oidcNoAccount", "user disabled", &intake.Actor{User: u})
		}
		return startSession(w, r, sessions, u, f.Next)
	})
}

// identityStore finds the person an identity provider vouches for; only
// the OIDC callback needs it.
type identityStore interface {
	FindUserByHSAID(ctx context.Context, hsaID string) (*intake.User, error)
}
