package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"golang.org/x/term"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
	"github.com/intyg/intyg/store"
)

// This file holds the commands that manage who may use Intyg: units,
// people (user) and API tokens. Each opens the database with the same
// flags as serve and may run beside it.

// exitRefused is the exit code of a command the store refused (a missing
// field, a weak password, a name in use), after it printed why.
const exitRefused = 1

// many is a flag that may be given several times (--unit A --unit B).
type many []string

func (m *many) String() string     { return strings.Join(*m, ",") }
func (m *many) Set(v string) error { *m = append(*m, v); return nil }

// adminCommand is one parsed command: its flag set, database flags and the
// usage line to answer bad usage with.
type adminCommand struct {
	fs     *flag.FlagSet
	c      Config
	usage  error
	stderr io.Writer
}

func newAdminCommand(name, usage string, getenv func(string) string, stderr io.Writer) *adminCommand {
	a := &adminCommand{fs: flag.NewFlagSet(name, flag.ContinueOnError), usage: errors.New("usage: " + usage), stderr: stderr}
	a.fs.SetOutput(stderr)
	dbFlags(a.fs, &a.c, getenv)
	return a
}

// parse parses args, which may put flags after the positional arguments
// (intyg user add anna --role admin), and checks how many positional
// arguments there are.
func (a *adminCommand) parse(args []string, nargs int) ([]string, error) {
	pos, err := parseArgs(a.fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, err
	}
	if err != nil || len(pos) != nargs {
		return nil, a.usage
	}
	if err := a.c.readDSNFile(a.fs); err != nil {
		return nil, fmt.Errorf("%s: %w", a.fs.Name(), err)
	}
	return pos, nil
}

// refused prints a refusal of the store (its message and each problem at
// the flag that gave the value, or its field) and returns exitRefused; an
// internal error, a database that cannot be reached, is exitUsage as for
// every I/O error.
func (a *adminCommand) refused(what string, err error) (int, error) {
	switch intake.ErrorCode(err) {
	case intake.EINTERNAL, intake.EUNAVAILABLE:
		return exitUsage, fmt.Errorf("%s: %w", what, err)
	}
	ps := intake.ErrorProblems(err)
	headline := intake.ErrorMessage(err)
	if slices.ContainsFunc(ps, func(p intake.Problem) bool { return p.Localized("en") == headline }) {
		headline = fmt.Sprintf("refused, %d problems:", len(ps))
		if len(ps) == 1 {
			headline = "refused, 1 problem:"
		}
	}
	fmt.Fprintf(a.stderr, "%s: %s\n", what, headline)
	for _, p := range ps {
		if name := a.flagFor(p.Pointer); name != "" {
			fmt.Fprintf(a.stderr, "  %s: %s\n", name, p.Localized("en"))
		} else {
			fmt.Fprintf(a.stderr, "  %s\n", p.Localized("en"))
		}
	}
	return exitRefused, nil
}

// flagFor names the command's flag that gave the value at pointer:
// /careProvider/hsaId is --care-provider-hsa-id, /units (or /units/1)
// --unit, /specialities --speciality, /expiresAt --expires. A value no
// flag gives (a user name, a password) is named by its field.
func (a *adminCommand) flagFor(pointer string) string {
	field := strings.TrimPrefix(pointer, "/")
	if field == "" {
		return "" // the whole command
	}
	if i := strings.LastIndexByte(field, '/'); i >= 0 && strings.Trim(field[i+1:], "0123456789") == "" {
		field = field[:i] // an item of a list: its list's flag
	}
	var b strings.Builder
	for _, r := range field {
		switch {
		case r == '/':
			b.WriteByte('-')
		case unicode.IsUpper(r):
			b.WriteByte('-')
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	name := b.String()
	for _, n := range []string{name, strings.TrimSuffix(name, "s"), strings.TrimSuffix(name, "ies") + "y", strings.TrimSuffix(name, "-at")} {
		if a.fs.Lookup(n) != nil {
			return "--" + n
		}
	}
	return field
}

// logCommand writes an administrative command's change to the access log
// before it is made, as the admin pages do: action ("admin.user.create",
// …) and what it changes, naming the operating-system user who ran it on
// this host, since the command needs no sign-in (only the database).
func logCommand(ctx context.Context, db *store.DB, action, target string) error {
	who := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	host, _ := os.Hostname()
	e := &intake.AuditEntry{Role: intake.RoleAdmin, Name: who + " (command line)", Action: action, Query: target, RemoteAddr: "command line on " + host}
	if err := db.CreateAuditEntry(ctx, e); err != nil {
		return fmt.Errorf("the access log takes no entry, so nothing was changed: %w", err)
	}
	return nil
}

// runUnit runs "intyg unit add|list".
func runUnit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (int, error) {
	const usage = "intyg unit add --hsa-id HSA --name NAME --address A --postal-code 'NNN NN' --city C --phone P [--workplace-code W] --care-provider-hsa-id HSA --care-provider-name NAME | intyg unit list"
	if len(args) == 0 || (args[0] != "add" && args[0] != "list") {
		return exitUsage, errors.New("usage: " + usage)
	}
	a := newAdminCommand("unit "+args[0], usage, getenv, stderr)
	var u intake.CareUnit
	if args[0] == "add" {
		for _, f := range []struct {
			name string
			v    *string
		}{
			{"hsa-id", &u.HSAID}, {"name", &u.Name}, {"address", &u.Address}, {"postal-code", &u.PostalCode}, {"city", &u.City},
			{"phone", &u.Phone}, {"workplace-code", &u.WorkplaceCode}, {"care-provider-hsa-id", &u.CareProvider.HSAID},
			{"care-provider-name", &u.CareProvider.Name},
		} {
			a.fs.StringVar(f.v, f.name, "", "the unit's "+strings.ReplaceAll(f.name, "-", " "))
		}
	}
	if _, err := a.parse(args[1:], 0); err != nil {
		return exitUsage, err
	}
	db, err := openAdminDB(ctx, a.c, a.stderr)
	if err != nil {
		return exitUsage, err
	}
	defer db.Close()
	if args[0] == "add" {
		u.Tidy()
		if ps := intake.CheckUnit(&u); len(ps) > 0 {
			return a.refused("unit add", intake.InvalidError(ps))
		}
		if err := logCommand(ctx, db, "admin.unit.create", "unit="+u.HSAID); err != nil {
			return exitUsage, fmt.Errorf("unit add: %w", err)
		}
		if err := db.CreateUnit(ctx, &u); err != nil {
			return a.refused("unit add", err)
		}
		fmt.Fprintf(stdout, "unit %s (%s) registered\n", u.HSAID, u.Name)
		return exitOK, nil
	}
	units, err := db.FindUnits(ctx)
	if err != nil {
		return exitUsage, err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HSA-ID\tNAME\tCITY\tCARE PROVIDER\tSTATUS")
	for _, u := range units {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\n", u.HSAID, u.Name, u.City, u.CareProvider.HSAID, u.CareProvider.Name, status(u.DisabledAt))
	}
	return exitOK, tw.Flush()
}

// status says whether something is disabled (since when) or active.
func status(disabledAt time.Time) string {
	if disabledAt.IsZero() {
		return "active"
	}
	return "disabled " + localTime(disabledAt)
}

// localTime shows a time to the minute in Europe/Stockholm, "-" for none.
func localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(intake.Stockholm).Format("2006-01-02 15:04")
}

// orDash is s, or "-" for nothing, so that a table's columns stay whole.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// runUser runs "intyg user add|list|disable|password". A password is
// never a flag (it would show in ps and the shell's history): it is one
// line of standard input, or typed twice without echo at a terminal.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	const usage = "intyg user add USERNAME --role physician|coordinator|caseworker|admin --name NAME [--hsa-id HSA --signing-role DOCTOR --prescriber-code C --speciality S... --unit HSA...] | " +
		"intyg user list | intyg user disable USERNAME | intyg user password USERNAME (the password from standard input, or typed twice at a terminal)"
	if len(args) == 0 {
		return exitUsage, errors.New("usage: " + usage)
	}
	a := newAdminCommand("user "+args[0], usage, getenv, stderr)
	var u intake.User
	var specialities, units many
	nargs := 1
	switch args[0] {
	case "add":
		a.fs.StringVar((*string)(&u.Role), "role", "", "physician, coordinator, caseworker or admin")
		a.fs.StringVar(&u.Name, "name", "", "the person's full name")
		a.fs.StringVar(&u.HSAID, "hsa-id", "", "a physician's personal HSA-id")
		a.fs.StringVar(&u.SigningRole, "signing-role", "", "a physician's signing role, one the templates let sign: DOCTOR, PRIVATE_DOCTOR, DENTIST")
		a.fs.StringVar(&u.PrescriberCode, "prescriber-code", "", "a physician's prescriber code")
		a.fs.Var(&specialities, "speciality", "a physician's speciality (repeatable)")
		a.fs.Var(&units, "unit", "HSA-id of a unit the physician works at (repeatable)")
	case "list":
		nargs = 0
	case "disable", "password":
	default:
		return exitUsage, a.usage
	}
	pos, err := a.parse(args[1:], nargs)
	if err != nil {
		return exitUsage, err
	}
	db, err := openAdminDB(ctx, a.c, a.stderr)
	if err != nil {
		return exitUsage, err
	}
	defer db.Close()
	switch args[0] {
	case "list":
		return listUsers(ctx, db, stdout)
	case "add":
		u.Username, u.Specialities, u.Units = pos[0], specialities, units
		// Check the account before asking for a password, so that a typo
		// in a flag does not cost typing it twice.
		u.Tidy()
		if ps := append(intake.CheckUser(&u), intake.CheckSigningRole(&u, schemas.MustLoadEmbedded())...); len(ps) > 0 {
			return a.refused("user add", intake.InvalidError(ps))
		}
		password, err := readPassword(stdin, stderr)
		if err != nil {
			return exitUsage, fmt.Errorf("user add: %w", err)
		}
		if err := store.CheckPassword(password, u.Username); err != nil {
			return a.refused("user add", err)
		}
		if err := logCommand(ctx, db, "admin.user.create", "username="+u.Username); err != nil {
			return exitUsage, fmt.Errorf("user add: %w", err)
		}
		if err := db.CreateUser(ctx, &u, password); err != nil {
			return a.refused("user add", err)
		}
		fmt.Fprintf(stdout, "user %s (%s, %s) created, id %s\n", u.Username, u.Name, u.Role, u.ID)
		return exitOK, nil
	}
	found, err := db.FindUserByUsername(ctx, pos[0])
	if err != nil {
		return a.refused("user "+args[0], err)
	}
	if args[0] == "disable" {
		if err := logCommand(ctx, db, "admin.user.disable", "user="+found.ID); err != nil {
			return exitUsage, fmt.Errorf("user disable: %w", err)
		}
		if err := db.SetUserDisabled(ctx, found.ID, true); err != nil {
			return a.refused("user disable", err)
		}
		fmt.Fprintf(stdout, "user %s disabled; their sessions have ended\n", found.Username)
		return exitOK, nil
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return exitUsage, fmt.Errorf("user password: %w", err)
	}
	if err := store.CheckPassword(password, found.Username); err != nil {
		return a.refused("user password", err)
	}
	if err := logCommand(ctx, db, "admin.user.password", "user="+found.ID); err != nil {
		return exitUsage, fmt.Errorf("user password: %w", err)
	}
	if err := db.SetPassword(ctx, found.ID, password); err != nil {
		return a.refused("user password", err)
	}
	fmt.Fprintf(stdout, "password of %s changed; their sessions have ended\n", found.Username)
	return exitOK, nil
}

func listUsers(ctx context.Context, db *store.DB, stdout io.Writer) (int, error) {
	users, err := db.FindUsers(ctx)
	if err != nil {
		return exitUsage, err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSERNAME\tNAME\tROLE\tHSA-ID\tUNITS\tSTATUS")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Username, u.Name, u.Role, orDash(u.HSAID), orDash(strings.Join(u.Units, " ")), status(u.DisabledAt))
	}
	return exitOK, tw.Flush()
}

// readPassword reads a new password: typed twice without echo when stdin
// is a terminal (prompts on stderr), else one line of stdin.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "new password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "the same again: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(first) != string(again) {
			return "", errors.New(intake.Text("password.mismatch", "en"))
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no password on standard input (one line)")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// warnUnregistered warns of what a new token covers that an admin may not
// have meant: a unit that is not registered or is disabled (the token
// submits for it all the same, unless disabled), a care provider with no
// live unit registered (the token covers none until one is). A typo in an
// HSA-id shows here rather than in the clinic's refused submissions.
func warnUnregistered(ctx context.Context, db *store.DB, t *intake.Token, stderr io.Writer) {
	units, err := db.FindUnits(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "token create: warning: the units could not be checked: %v\n", err)
		return
	}
	live := map[string]bool{}
	provider := false
	for _, u := range units {
		live[u.HSAID] = u.DisabledAt.IsZero()
		provider = provider || (u.CareProvider.HSAID == t.CareProvider && u.DisabledAt.IsZero())
	}
	for _, u := range t.Units {
		switch on, known := live[u]; {
		case !known:
			fmt.Fprintf(stderr, "token create: warning: unit %s is not registered (intyg unit add); the token submits for it all the same\n", u)
		case !on:
			fmt.Fprintf(stderr, "token create: warning: unit %s is disabled; the token submits for it once it is enabled again\n", u)
		}
	}
	if t.CareProvider != "" && !provider {
		fmt.Fprintf(stderr, "token create: warning: no enabled unit is registered under care provider %s; the token submits for none until one is (intyg unit add)\n", t.CareProvider)
	}
}

// runToken runs "intyg token create|list|revoke".
func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (int, error) {
	const usage = "intyg token create --role clinic|caseworker|admin [--unit HSA-ID...] [--care-provider HSA-ID] [--expires YYYY-MM-DD] [--name NAME] | intyg token list | intyg token revoke ID"
	if len(args) == 0 {
		return exitUsage, errors.New("usage: " + usage)
	}
	a := newAdminCommand("token "+args[0], usage, getenv, stderr)
	var t intake.Token
	var units many
	var expires string
	nargs := 0
	switch args[0] {
	case "create":
		a.fs.StringVar((*string)(&t.Role), "role", "", "clinic, caseworker or admin")
		a.fs.Var(&units, "unit", "HSA-id of a unit a clinic token submits for (repeatable)")
		a.fs.StringVar(&t.CareProvider, "care-provider", "", "HSA-id of the care provider whose every unit a clinic token covers")
		a.fs.StringVar(&expires, "expires", "", "the last day (Europe/Stockholm) the token works, YYYY-MM-DD; none: until revoked")
		a.fs.StringVar(&t.Name, "name", "", "whose token it is, for the access log")
	case "list":
	case "revoke":
		nargs = 1
	default:
		return exitUsage, a.usage
	}
	pos, err := a.parse(args[1:], nargs)
	if err != nil {
		return exitUsage, err
	}
	if expires != "" {
		d, err := intake.ParseDate(expires)
		if err != nil {
			return exitUsage, fmt.Errorf("token create: --expires %q is not a date YYYY-MM-DD", expires)
		}
		t.ExpiresAt = intake.ValidThrough(d)
	}
	db, err := openAdminDB(ctx, a.c, a.stderr)
	if err != nil {
		return exitUsage, err
	}
	defer db.Close()
	switch args[0] {
	case "create":
		t.Units = units
		secret, err := db.CreateTokenFor(ctx, &t)
		if err != nil {
			return a.refused("token create", err)
		}
		if err := logCommand(ctx, db, "admin.token.create", "token="+t.ID); err != nil {
			// Never shown, and now never usable either.
			return exitUsage, fmt.Errorf("token create: %w", errors.Join(err, db.RevokeToken(ctx, t.ID)))
		}
		fmt.Fprintf(stdout, "token %s (role %s", t.ID, t.Role)
		if len(t.Units) > 0 {
			fmt.Fprintf(stdout, ", units %s", strings.Join(t.Units, " "))
		}
		if t.CareProvider != "" {
			fmt.Fprintf(stdout, ", care provider %s", t.CareProvider)
		}
		if !t.ExpiresAt.IsZero() {
			fmt.Fprintf(stdout, ", works through %s", intake.LastValidDay(t.ExpiresAt))
		}
		fmt.Fprintf(stdout, "), shown only this once:\n%s\n", secret)
		warnUnregistered(ctx, db, &t, stderr)
		return exitOK, nil
	case "revoke":
		if err := logCommand(ctx, db, "admin.token.revoke", "token="+pos[0]); err != nil {
			return exitUsage, fmt.Errorf("token revoke: %w", err)
		}
		if err := db.RevokeToken(ctx, pos[0]); err != nil {
			return a.refused("token revoke", err)
		}
		fmt.Fprintf(stdout, "token %s revoked\n", pos[0])
		return exitOK, nil
	}
	tokens, err := db.FindTokens(ctx)
	if err != nil {
		return exitUsage, err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tNAME\tUNITS / CARE PROVIDER\tCREATED\tLAST DAY\tLAST USED\tREVOKED")
	for _, t := range tokens {
		scope := strings.Join(t.Units, " ")
		if t.CareProvider != "" {
			scope = "care provider " + t.CareProvider
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, orDash(t.Name), orDash(scope),
			localTime(t.CreatedAt), orDash(intake.LastValidDay(t.ExpiresAt)), localTime(t.LastUsedAt), localTime(t.RevokedAt))
	}
	return exitOK, tw.Flush()
}
