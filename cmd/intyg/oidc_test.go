package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestServeOIDCRefusals: serve refuses to start with the provider's
// settings incomplete or contradictory, or with a provider it cannot
// reach, and says why; the client secret has no flag.
func TestServeOIDCRefusals(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unreachable := "http://" + closedAddr(t) + "/oidc"
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // in the error or on stderr
	}{
		{name: "issuer without client id", args: []string{"--oidc-issuer", unreachable, "--oidc-client-secret-file", secretFile},
			want: "--oidc-issuer needs --oidc-client-id"},
		{name: "issuer without secret", args: []string{"--oidc-issuer", unreachable, "--oidc-client-id", "intyg"},
			want: "--oidc-issuer needs the client secret"},
		{name: "secret as a flag", args: []string{"--oidc-issuer", unreachable, "--oidc-client-id", "intyg", "--oidc-client-secret", "s3cret"},
			want: "flag provided but not defined: -oidc-client-secret"},
		{name: "client id without issuer", args: []string{"--oidc-client-id", "intyg"}, want: "without --oidc-issuer"},
		{name: "secret without issuer", env: map[string]string{"INTYG_OIDC_CLIENT_SECRET": "s3cret"}, want: "without --oidc-issuer"},
		{name: "both secret variables", args: []string{"--oidc-issuer", unreachable, "--oidc-client-id", "intyg"},
			env: map[string]string{"INTYG_OIDC_CLIENT_SECRET": "s3cret", "INTYG_OIDC_CLIENT_SECRET_FILE": secretFile}, want: "both set"},
		{name: "missing secret file", args: []string{"--oidc-issuer", unreachable, "--oidc-client-id", "intyg", "--oidc-client-secret-file", filepath.Join(dir, "nope")},
			want: "oidc client secret file"},
		{name: "empty claim", args: []string{"--oidc-issuer", unreachable, "--oidc-client-id", "intyg", "--oidc-client-secret-file", secretFile, "--oidc-claim", ""},
			want: "--oidc-claim is empty"},
		{name: "issuer unreachable", args: []string{"--oidc-issuer", unreachable, "--oidc-client-id", "intyg", "--oidc-client-secret-file", secretFile},
			want: "discover issuer " + unreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A bound on the run, should serve start after all.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			args := append([]string{"intyg", "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, tt.args...)
			code, err := run(ctx, args, func(k string) string { return tt.env[k] }, strings.NewReader(""), &stdout, &stderr)
			if err != nil {
				stderr.WriteString(err.Error())
			}
			if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d saying %q", code, stderr.String(), exitUsage, tt.want)
			}
			if strings.Contains(stderr.String()+stdout.String(), "s3cret") {
				t.Errorf("the client secret is in the output")
			}
		})
	}
}

// TestReadOIDCSecret reads the client secret from a file (flag or
// variable) or the environment, the flag's file first.
func TestReadOIDCSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "secret")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	provider := []string{"--oidc-issuer", "https://idp.region.se", "--oidc-client-id", "intyg"}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{name: "no provider", want: ""},
		{name: "--oidc-client-secret-file", args: append(provider, "--oidc-client-secret-file", file), want: "from-file"},
		{name: "INTYG_OIDC_CLIENT_SECRET_FILE", args: provider, env: map[string]string{"INTYG_OIDC_CLIENT_SECRET_FILE": file}, want: "from-file"},
		{name: "INTYG_OIDC_CLIENT_SECRET", args: provider, env: map[string]string{"INTYG_OIDC_CLIENT_SECRET": "from-env"}, want: "from-env"},
		{name: "the flag's file beats INTYG_OIDC_CLIENT_SECRET", args: append(provider, "--oidc-client-secret-file", file),
			env: map[string]string{"INTYG_OIDC_CLIENT_SECRET": "from-env"}, want: "from-file"},
		{name: "both variables", args: provider, env: map[string]string{"INTYG_OIDC_CLIENT_SECRET": "from-env", "INTYG_OIDC_CLIENT_SECRET_FILE": file}, wantErr: true},
		{name: "empty file", args: append(provider, "--oidc-client-secret-file", empty), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Config
			getenv := func(k string) string { return tt.env[k] }
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			oidcFlags(fs, &c, getenv)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := c.readOIDCSecret(fs, getenv)
			if (err != nil) != tt.wantErr || !tt.wantErr && c.OIDCClientSecret != tt.want {
				t.Errorf("readOIDCSecret() = %v, secret %q; want %q (error: %v)", err, c.OIDCClientSecret, tt.want, tt.wantErr)
			}
			if c.OIDCClaim != "hsa_id" {
				t.Errorf("claim = %q, want the default hsa_id", c.OIDCClaim)
			}
		})
	}
}

// hsaUser is a provider's user whose ID token carries an hsa_id claim.
type hsaUser struct {
	*mockoidc.MockUser
	HSAID string
}

func (u *hsaUser) Claims(scope []string, c *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	base, err := u.MockUser.Claims(scope, c)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	mc := jwt.MapClaims{"hsa_id": u.HSAID}
	return mc, json.Unmarshal(b, &mc)
}

// TestServeOIDCEndToEnd runs serve against a real provider on loopback,
// with the client secret in a file and the callback on the address serve
// listens on, and signs a physician in through it.
func TestServeOIDCEndToEnd(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	data := t.TempDir()
	mustCreatePhysician(t, filepath.Join(data, "intyg.db"), "SE2321000016-1003")
	secretFile := filepath.Join(t.TempDir(), "oidc-secret")
	if err := os.WriteFile(secretFile, []byte(m.ClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, out, stop := startServe(t, data, "--oidc-issuer", m.Issuer(), "--oidc-client-id", m.ClientID, "--oidc-client-secret-file", secretFile)

	m.QueueUser(&hsaUser{MockUser: mockoidc.DefaultUser(), HSAID: "SE2321000016-1003"})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	resp, err := c.Get(base + "/sign-in/oidc?next=/forms")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/forms" {
		t.Errorf("sign-in through the provider ended at %s with %d, want /forms with 200", resp.Request.URL, resp.StatusCode)
	}
	if code := stop(); code != exitOK {
		t.Errorf("serve exited %d: %s", code, out.String())
	}
	if strings.Contains(out.String(), m.ClientSecret) {
		t.Errorf("the client secret is in the output")
	}
}

// mustCreatePhysician makes a physician with the HSA-id at a unit in the
// SQLite database at path.
func mustCreatePhysician(tb testing.TB, path, hsaID string) {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.SQLite, path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	unit := &intake.CareUnit{Unit: intake.Unit{HSAID: "SE2321000016-7P0C", Name: "Vårdcentralen Östermalm", Address: "Karlavägen 10",
		PostalCode: "114 59", City: "Stockholm", Phone: "08-123 45 67"}, CareProvider: intake.CareProvider{HSAID: "SE2321000016-0001", Name: "Region Stockholm"}}
	if err := db.CreateUnit(ctx, unit); err != nil {
		tb.Fatal(err)
	}
	u := &intake.User{Username: "asa", Name: "Åsa Lindberg", Role: intake.RolePhysician, HSAID: hsaID, SigningRole: "DOCTOR", Units: []string{unit.HSAID}}
	if err := db.CreateUser(ctx, u, "korrekt häst batteri häftklammer"); err != nil {
		tb.Fatal(err)
	}
}
