package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/render"
	"github.com/intyg/intyg/store"
	"github.com/intyg/intyg/web"
)

// Config is the server's configuration, from flags with defaults from
// INTYG_* environment variables.
type Config struct {
	Addr     string // INTYG_ADDR
	DataDir  string // INTYG_DATA: directory of the SQLite database
	DSN      string // INTYG_DSN: PostgreSQL instead of SQLite when set
	DSNFile  string // INTYG_DSN_FILE: a file holding DSN, which then stays out of ps and the environment
	ICD10SE  string // INTYG_ICD10SE: directory of a newer ICD-10-SE edition
	MaxBody  int    // INTYG_MAX_BODY: largest submission in bytes
	LogLevel string // INTYG_LOG_LEVEL: debug, info, warn, error
	Drain    string // INTYG_DRAIN: after SIGTERM, how long /readyz says 503 before the server stops taking requests

	PublicURL            string // INTYG_PUBLIC_URL: where browsers reach the service; http://ADDR when empty
	OIDCIssuer           string // INTYG_OIDC_ISSUER: the region's identity provider; none when empty
	OIDCClientID         string // INTYG_OIDC_CLIENT_ID
	OIDCClientSecretFile string // INTYG_OIDC_CLIENT_SECRET_FILE: a file holding the client secret
	OIDCClientSecret     string // INTYG_OIDC_CLIENT_SECRET, or read from OIDCClientSecretFile; never a flag
	OIDCClaim            string // INTYG_OIDC_CLAIM: the ID-token claim holding the person's HSA-id

	TrustedProxies string // INTYG_TRUSTED_PROXIES: the reverse proxies' addresses or networks, comma-separated
}

// dbFlags registers the database flags shared by serve and the admin commands.
func dbFlags(fs *flag.FlagSet, c *Config, getenv func(string) string) {
	fs.StringVar(&c.DataDir, "data", envOr(getenv, "INTYG_DATA", "data"), "directory of the embedded SQLite database (INTYG_DATA)")
	fs.StringVar(&c.DSN, "dsn", getenv("INTYG_DSN"), "PostgreSQL connection string; SQLite is used when empty (INTYG_DSN)")
	fs.StringVar(&c.DSNFile, "dsn-file", getenv("INTYG_DSN_FILE"), "file holding the PostgreSQL connection string, which then does not show in ps (INTYG_DSN_FILE)")
	// The usage shows a flag's default, here INTYG_DSN's value and its
	// password: one mistyped flag under a service manager would write it
	// to the journal. An empty default is not shown.
	fs.Lookup("dsn").DefValue = ""
}

// readDSNFile sets c.DSN from c.DSNFile, once fs is parsed. A flag given on
// the command line beats the environment; giving both --dsn and --dsn-file,
// or both INTYG_DSN and INTYG_DSN_FILE, is an error.
func (c *Config) readDSNFile(fs *flag.FlagSet) error {
	if c.DSNFile == "" {
		return nil
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	switch {
	case given["dsn"] && given["dsn-file"]:
		return errors.New("give --dsn or --dsn-file, not both")
	case given["dsn"]:
		return nil
	case c.DSN != "" && !given["dsn-file"]:
		return errors.New("INTYG_DSN and INTYG_DSN_FILE are both set; unset one")
	}
	b, err := os.ReadFile(c.DSNFile)
	if err != nil {
		return fmt.Errorf("dsn file: %w", err)
	}
	if c.DSN = strings.TrimSpace(string(b)); c.DSN == "" {
		return fmt.Errorf("dsn file %s is empty", c.DSNFile)
	}
	return nil
}

// oidcFlags registers the flags of sign-in through the region's identity
// provider. The client secret has no flag (ps would show it): it comes from
// a file or the environment.
func oidcFlags(fs *flag.FlagSet, c *Config, getenv func(string) string) {
	fs.StringVar(&c.PublicURL, "public-url", getenv("INTYG_PUBLIC_URL"), "where browsers reach the service, e.g. https://intyg.region.se (https: Secure cookies and Strict-Transport-Security, even behind a plain-HTTP proxy); http://ADDR when empty (INTYG_PUBLIC_URL)")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", getenv("INTYG_OIDC_ISSUER"), "issuer URL of the region's OpenID Connect provider; no such sign-in when empty (INTYG_OIDC_ISSUER)")
	fs.StringVar(&c.OIDCClientID, "oidc-client-id", getenv("INTYG_OIDC_CLIENT_ID"), "the service's client id at the provider (INTYG_OIDC_CLIENT_ID)")
	fs.StringVar(&c.OIDCClientSecretFile, "oidc-client-secret-file", getenv("INTYG_OIDC_CLIENT_SECRET_FILE"),
		"file holding the client secret; or set INTYG_OIDC_CLIENT_SECRET (INTYG_OIDC_CLIENT_SECRET_FILE)")
	fs.StringVar(&c.OIDCClaim, "oidc-claim", envOr(getenv, "INTYG_OIDC_CLAIM", "hsa_id"), "ID-token claim holding the person's HSA-id (INTYG_OIDC_CLAIM)")
}

// readOIDCSecret sets c.OIDCClientSecret, once fs is parsed, from the
// secret file or else INTYG_OIDC_CLIENT_SECRET, and checks that the
// provider's settings come together: an issuer needs a client id, a
// secret and a claim, and a client id or secret needs an issuer. As with
// the DSN, --oidc-client-secret-file beats INTYG_OIDC_CLIENT_SECRET, and
// setting both variables is an error.
func (c *Config) readOIDCSecret(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	env := getenv("INTYG_OIDC_CLIENT_SECRET")
	switch {
	case c.OIDCClientSecretFile == "":
		c.OIDCClientSecret = env
	case env != "" && !given["oidc-client-secret-file"]:
		return errors.New("INTYG_OIDC_CLIENT_SECRET and INTYG_OIDC_CLIENT_SECRET_FILE are both set; unset one")
	default:
		b, err := os.ReadFile(c.OIDCClientSecretFile)
		if err != nil {
			return fmt.Errorf("oidc client secret file: %w", err)
		}
		if c.OIDCClientSecret = strings.TrimSpace(string(b)); c.OIDCClientSecret == "" {
			return fmt.Errorf("oidc client secret file %s is empty", c.OIDCClientSecretFile)
		}
	}
	switch {
	case c.OIDCIssuer == "" && (c.OIDCClientID != "" || c.OIDCClientSecret != ""):
		return errors.New("an OIDC client id or secret is given without --oidc-issuer")
	case c.OIDCIssuer == "":
		return nil
	case c.OIDCClientID == "":
		return errors.New("--oidc-issuer needs --oidc-client-id")
	case c.OIDCClientSecret == "":
		return errors.New("--oidc-issuer needs the client secret: --oidc-client-secret-file FILE or INTYG_OIDC_CLIENT_SECRET")
	case strings.TrimSpace(c.OIDCClaim) == "":
		return errors.New("--oidc-claim is empty")
	}
	return nil
}

// absoluteWebURL reports whether s is an http or https URL with a host:
// without one, "intyg.region.se" or "htps://…" would run without a word
// and without the https settings it asks for.
func absoluteWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// publicURL is where browsers reach the service: c.PublicURL, or else the
// address it listens on (localhost for an unspecified host).
func (c *Config) publicURL(listening net.Addr) string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	host, port, err := net.SplitHostPort(listening.String())
	if err != nil {
		return "http://" + listening.String()
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// openDB opens PostgreSQL when a DSN is set, else SQLite under the data directory.
func openDB(ctx context.Context, c Config) (*store.DB, string, error) {
	if c.DSN != "" {
		db, err := store.Open(ctx, store.Postgres, c.DSN)
		return db, "PostgreSQL", err
	}
	path, err := prepareDataDir(c.DataDir)
	if err != nil {
		return nil, "", err
	}
	db, err := store.Open(ctx, store.SQLite, path)
	return db, "SQLite " + path, err
}

// gcPercent is the garbage collector's target while serving, unless GOGC
// sets one: it collects once the heap has grown by twice what is live
// rather than by as much. On PostgreSQL a submission allocates about 40 KB
// (two fifths of it encoding the inserts' arrays), and at Go's default the
// collector cost the server a tenth to a fifth of its CPU (intyg-load -db
// postgres, four pairs: 420, 381, 399 and 339 against 315, 299, 315 and
// 303 µs a certificate; 2,016, 1,968, 1,723 and 2,255 against 2,229,
// 2,414, 2,356 and 2,285/s), for a peak RSS of 89 MB instead of 68 (on
// SQLite 97 MB instead of 76, at the same throughput).
const gcPercent = 200

// tuneGC sets the collector's target to gcPercent, unless GOGC sets one.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

// tuneProcs lets serving run Go code on one more thread than it has
// cores, unless GOMAXPROCS sets how many (it then no longer follows a
// changed CPU limit of its container). With as many as cores, the two
// cores were 10–13 % idle under load: a goroutine in a system call that
// blocks (SQLite's writes and syncs, which Go makes directly) holds its
// thread's turn until the runtime's monitor takes it back. One more raised
// SQLite's accepted certificates a second in 16 of 20 interleaved pairs
// under intyg-load (median +4.5 %, BENCHMARKS.md); on PostgreSQL 4 of 6
// (within the machine's noise). Two more gave no more.
func tuneProcs(getenv func(string) string) {
	if getenv("GOMAXPROCS") == "" {
		runtime.SetDefaultGOMAXPROCS() // the default, however often serving starts
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	}
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (code int, err error) {
	var c Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", envOr(getenv, "INTYG_ADDR", "127.0.0.1:8080"), "address to listen on (INTYG_ADDR)")
	dbFlags(fs, &c, getenv)
	fs.StringVar(&c.ICD10SE, "icd10se", getenv("INTYG_ICD10SE"), "directory with a newer ICD-10-SE edition (INTYG_ICD10SE)")
	maxBody, maxBodyErr := strconv.Atoi(envOr(getenv, "INTYG_MAX_BODY", strconv.Itoa(intake.DefaultMaxBytes)))
	fs.IntVar(&c.MaxBody, "max-body", maxBody, "largest submission in bytes (INTYG_MAX_BODY)")
	fs.StringVar(&c.LogLevel, "log-level", envOr(getenv, "INTYG_LOG_LEVEL", "info"), "debug, info, warn or error (INTYG_LOG_LEVEL)")
	fs.StringVar(&c.Drain, "drain", envOr(getenv, "INTYG_DRAIN", "0s"), "after SIGTERM, how long /readyz answers 503 while requests are still served, so that a load balancer sends no more, before the server stops taking them, such as 10s (INTYG_DRAIN)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", getenv("INTYG_TRUSTED_PROXIES"), "reverse proxies in front, as addresses or networks, comma-separated: their X-Forwarded-For names the client (INTYG_TRUSTED_PROXIES)")
	oidcFlags(fs, &c, getenv)
	if err := fs.Parse(args); err != nil {
		return exitUsage, helpAsked(err)
	}
	if err := c.readDSNFile(fs); err != nil {
		return exitUsage, fmt.Errorf("serve: %w", err)
	}
	if err := c.readOIDCSecret(fs, getenv); err != nil {
		return exitUsage, fmt.Errorf("serve: %w", err)
	}
	var level slog.Level
	drain, drainErr := time.ParseDuration(c.Drain)
	switch {
	case drainErr != nil || drain < 0:
		return exitUsage, fmt.Errorf("serve: --drain (INTYG_DRAIN) %q: want a duration such as 10s", c.Drain)
	case fs.NArg() > 0:
		return exitUsage, fmt.Errorf("serve: takes no arguments, only flags (got %q)", fs.Arg(0))
	case level.UnmarshalText([]byte(c.LogLevel)) != nil:
		return exitUsage, fmt.Errorf("serve: --log-level (INTYG_LOG_LEVEL) %q: want debug, info, warn or error", c.LogLevel)
	case maxBodyErr != nil && !flagSet(fs, "max-body"):
		return exitUsage, fmt.Errorf("serve: INTYG_MAX_BODY %q is not a number of bytes", getenv("INTYG_MAX_BODY"))
	case c.MaxBody <= 0:
		return exitUsage, fmt.Errorf("serve: --max-body (INTYG_MAX_BODY) %d: want a number of bytes above 0", c.MaxBody)
	case c.PublicURL != "" && !absoluteWebURL(c.PublicURL):
		return exitUsage, fmt.Errorf("serve: --public-url (INTYG_PUBLIC_URL) %q: want where browsers reach the service, such as https://intyg.region.se", c.PublicURL)
	}
	trusted, err := web.ParseTrustedProxies(c.TrustedProxies)
	if err != nil {
		return exitUsage, fmt.Errorf("serve: --trusted-proxies (INTYG_TRUSTED_PROXIES) %q: %w", c.TrustedProxies, err)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	// From here on stderr is the JSON log: a failure is one of its lines.
	defer func() {
		if err != nil {
			logger.Error("serve failed", "error", err.Error())
			err = logged{err}
		}
	}()
	logger.Info("starting", "version", buildVersion())
	tuneGC(getenv)
	tuneProcs(getenv)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	eng, err := newEngine(c.ICD10SE, c.MaxBody)
	if err != nil {
		return exitUsage, err
	}
	// The address first: one in use or not valid makes no database and no
	// first admin token.
	l, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return exitUsage, err
	}
	defer l.Close()
	if c.DSN == "" {
		path, err := prepareDataDir(c.DataDir)
		if err != nil {
			return exitUsage, err
		}
		if open := openToOthers(c.DataDir, path); len(open) > 0 {
			// Patient data: said, not refused, since the operator may
			// have meant it (a group of its own for backups).
			logger.Warn("the data directory or database can be read or written by group or others", "paths", open,
				"fix", fmt.Sprintf("chmod %o %s && chmod %o %s", dirMode, c.DataDir, fileMode, path))
		}
		release, err := lockDataDir(c.DataDir)
		if err != nil {
			return exitUsage, err
		}
		defer release()
	}
	db, where, err := openDB(ctx, c)
	if err != nil {
		return exitUsage, err
	}
	defer db.Close()
	if n, err := db.CountTokens(ctx); err != nil {
		return exitUsage, err
	} else if n == 0 {
		dir := c.DataDir
		if c.DSN != "" && !flagSet(fs, "data") && getenv("INTYG_DATA") == "" {
			dir = "" // no directory of its own: not wherever the process runs
		}
		if err := firstAdminToken(ctx, db, dir, stdout, logger); err != nil {
			return exitUsage, err
		}
	}

	pdfs, err := render.New()
	if err != nil {
		return exitUsage, err
	}
	var stopping atomic.Bool
	opts := web.Options{TrustedProxies: trusted, PublicURL: c.PublicURL, Stopping: stopping.Load}
	if c.OIDCIssuer != "" {
		// The provider is discovered now: an unreachable one stops the
		// start, rather than every sign-in later.
		dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		opts.OIDC, err = web.NewOIDCProvider(dctx, web.OIDCConfig{Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID,
			ClientSecret: c.OIDCClientSecret, Claim: c.OIDCClaim, PublicURL: c.publicURL(l.Addr())})
		cancel()
		if err != nil {
			return exitUsage, fmt.Errorf("serve: %w", err)
		}
		logger.Info("sign-in through OpenID Connect", "issuer", c.OIDCIssuer, "claim", c.OIDCClaim, "public_url", c.publicURL(l.Addr()))
	}
	srv := &http.Server{
		Handler:           web.NewServer(logger, eng, db, pdfs, opts),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "intyg listening on http://%s (database: %s)\n", l.Addr(), where)
	logger.Info("listening", "addr", l.Addr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return exitUsage, err
	case <-ctx.Done():
	}
	// Say not ready, and go on serving for the drain: a load balancer
	// that asks /readyz sends no more. Then let requests under way finish;
	// the store's writer then drains before the database closes
	// (deferred above).
	stopping.Store(true)
	if drain > 0 {
		logger.Info("draining", "for", drain.String())
		time.Sleep(drain)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return exitUsage, err
	}
	logger.Info("stopped")
	return exitOK, nil
}

// firstAdminToken makes the first admin token of a new database. Its secret
// goes to stdout only if that is a terminal. Otherwise (a service manager,
// a pipe, a log collector) it goes to the file first-admin-token, mode
// 0600, in the data directory, and stdout and the log say where it is.
// With no data directory (PostgreSQL without --data or INTYG_DATA) no
// token is made: stdout and a warning in the log say how to make one.
func firstAdminToken(ctx context.Context, db *store.DB, dataDir string, stdout io.Writer, logger *slog.Logger) error {
	if dataDir == "" && !isTerminal(stdout) {
		const how = "intyg token create --role admin, with serve's --dsn or --dsn-file"
		fmt.Fprintf(stdout, "new database: no admin token made (no --data directory for its file); make one with: %s\n", how)
		logger.Warn("no admin token: the database has none and there is no --data directory to write the first to", "make_one_with", how)
		return nil
	}
	secret, tok, err := db.CreateToken(ctx, intake.RoleAdmin, "", "first admin")
	if err != nil {
		return err
	}
	if isTerminal(stdout) {
		fmt.Fprintf(stdout, "new database: first admin token (id %s), shown only this once:\n  %s\n", tok.ID, secret)
		return nil
	}
	path := filepath.Join(dataDir, "first-admin-token")
	if err := writeSecretFile(path, secret+"\n"); err != nil {
		// Nobody will ever see this secret: take the token back.
		if rerr := db.RevokeToken(ctx, tok.ID); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return fmt.Errorf("first admin token: %w (make one with: intyg token create --role admin)", err)
	}
	fmt.Fprintf(stdout, "new database: first admin token (id %s) written to %s (mode 0600); read it, then delete the file\n", tok.ID, path)
	logger.Info("first admin token written to a file", "token", tok.ID, "path", path)
	return nil
}

// flagSet reports whether the command line set the flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
