// Command intyg is Intyg's one binary: serve the API, validate
// submissions, list templates, and manage units, people and tokens.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	ctx := context.Background()
	code, err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if err != nil && !errors.As(err, new(logged)) {
		fmt.Fprintln(os.Stderr, "intyg:", err)
	}
	os.Exit(code)
}

// exit codes of the commands.
const (
	exitOK      = 0
	exitInvalid = 1 // a submission was refused
	exitBroken  = 1 // the access log's hash chain is broken
	exitUsage   = 2 // bad usage or an I/O error
)

const usage = `usage: intyg <command> [flags] [args]

commands:
  serve [--addr ADDR] [--data DIR | --dsn POSTGRES-DSN | --dsn-file FILE] [--icd10se DIR] [--max-body N] [--log-level L]
        [--trusted-proxies ADDRS] [--public-url URL] [--drain DURATION]
        [--oidc-issuer URL --oidc-client-id ID --oidc-client-secret-file FILE [--oidc-claim NAME]]
           run the HTTP service (SQLite under --data unless a DSN is given), with sign-in
           through the region's identity provider when --oidc-issuer is given
  token create --role clinic|caseworker|admin [--unit HSA-ID]... [--care-provider HSA-ID] [--expires YYYY-MM-DD] [--name NAME]
  token list
  token revoke ID
           manage API tokens (same --data / --dsn / --dsn-file flags as serve)
  unit add --hsa-id HSA-ID --name NAME --address A --postal-code 'NNN NN' --city C --phone P
           [--workplace-code W] --care-provider-hsa-id HSA-ID --care-provider-name NAME
  unit list
           register and list care units
  user add USERNAME --role physician|coordinator|caseworker|admin --name NAME [--hsa-id HSA-ID
           --signing-role DOCTOR|PRIVATE_DOCTOR|DENTIST --prescriber-code C --speciality S... --unit HSA-ID...]
  user list | user disable USERNAME | user password USERNAME
           manage people's accounts; a password is one line of standard input,
           or typed twice at a terminal, never a flag
  audit verify [--data DIR | --dsn POSTGRES-DSN | --dsn-file FILE] [--head SEQ:HASH]
           check the access log's hash chain and print its head to record elsewhere;
           --head: one printed before, which the log must still hold; exit 1 naming what is broken
  backup --to FILE [--data DIR]
           copy the SQLite database while the server runs (PostgreSQL: use pg_dump)
  validate [--format text|json] [--lang sv|en] [--icd10se DIR] FILE... | -
           validate submissions; print each normalised record or its problems
  render FILE|- -o OUT.pdf [--copy employer]
           render a submission to PDF without storing it
  templates
           list the known template versions
  version
           print which build this is (version, commit, Go)
`

// logged is an error that serve has written to its JSON log already,
// where a log collector reads it; main does not print it again as text.
type logged struct{ error }

func (e logged) Unwrap() error { return e.error }

// run is the whole program; main only wires it to the process. It returns
// the exit code, and an error to print when the code is exitUsage. A
// command's -h or --help prints its flags and is no error.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	code, err := command(ctx, args, getenv, stdin, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK, nil
	}
	return code, err
}

// helpAsked is err if it says that -h or --help was given (run then exits
// 0), else nil: the flag package has printed what was wrong.
func helpAsked(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil
}

// command runs the command args name.
func command(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return exitUsage, nil
	}
	switch args[1] {
	case "validate":
		return runValidate(args[2:], getenv, stdin, stdout, stderr)
	case "serve":
		return runServe(ctx, args[2:], getenv, stdout, stderr)
	case "token":
		return runToken(ctx, args[2:], getenv, stdout, stderr)
	case "unit":
		return runUnit(ctx, args[2:], getenv, stdout, stderr)
	case "user":
		return runUser(ctx, args[2:], getenv, stdin, stdout, stderr)
	case "audit":
		return runAudit(ctx, args[2:], getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, args[2:], getenv, stdout, stderr)
	case "render":
		return runRender(args[2:], getenv, stdin, stdout, stderr)
	case "templates":
		return runTemplates(args[2:], getenv, stdout, stderr)
	case "version", "--version":
		return runVersion(args[2:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK, nil
	}
	fmt.Fprint(stderr, usage)
	return exitUsage, fmt.Errorf("unknown command %q", args[1])
}

// parseArgs parses args with fs, accepting flags after the positional
// arguments as well as before ("intyg validate a.json --lang en"), and
// returns the positional ones. After "--" every argument is positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if used := args[:len(args)-fs.NArg()]; len(used) > 0 && used[len(used)-1] == "--" {
			return append(pos, fs.Args()...), nil
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
