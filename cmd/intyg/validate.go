package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
	"github.com/intyg/intyg/web"
)

// newEngine builds the intake engine from the embedded templates and the
// embedded ICD-10-SE edition, or the edition in dir when dir is set
// (flag --icd10se, or INTYG_ICD10SE).
func newEngine(dir string, maxBytes int) (*intake.Engine, error) {
	icdFS := schemas.ICD10SE()
	if dir != "" {
		icdFS = os.DirFS(dir)
	}
	icd, err := intake.LoadICD10SE(icdFS)
	if err != nil && dir != "" {
		return nil, fmt.Errorf("--icd10se (INTYG_ICD10SE) %s: %w", dir, err)
	}
	if err != nil {
		return nil, err
	}
	return intake.NewEngine(schemas.MustLoadEmbedded(), icd, maxBytes)
}

func runValidate(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json (the API's problem document)")
	lang := fs.String("lang", "sv", "language of messages: sv or en")
	icdDir := fs.String("icd10se", getenv("INTYG_ICD10SE"), "directory with a newer ICD-10-SE edition (digit3.txt, digit4.txt, digit5.txt)")
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage, helpAsked(err)
	}
	if len(files) == 0 || (*format != "text" && *format != "json") || (*lang != "sv" && *lang != "en") {
		return exitUsage, errors.New("usage: intyg validate [--format text|json] [--lang sv|en] [--icd10se DIR] FILE... | -")
	}
	eng, err := newEngine(*icdDir, 0)
	if err != nil {
		return exitUsage, err
	}
	code := exitOK
	for _, name := range files {
		var b []byte
		if name == "-" {
			b, err = io.ReadAll(stdin)
		} else {
			b, err = os.ReadFile(name)
		}
		if err != nil {
			return exitUsage, err
		}
		cert, err := eng.Intake(b, time.Now())
		if err != nil && intake.ErrorCode(err) == intake.EINTERNAL {
			return exitUsage, fmt.Errorf("%s: %w", name, err)
		}
		if err != nil {
			code = exitInvalid
		}
		if err := printResult(stdout, name, cert, err, *format, *lang, len(files) > 1); err != nil {
			return exitUsage, err
		}
	}
	return code, nil
}

// printResult prints a record, or the problems of a refused submission.
func printResult(w io.Writer, name string, cert *intake.Certificate, err error, format, lang string, many bool) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err != nil {
			return enc.Encode(web.Problem(err, lang))
		}
		return enc.Encode(cert)
	}
	if many {
		fmt.Fprintf(w, "== %s\n", name)
	}
	if err == nil {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(cert)
	}
	doc := web.Problem(err, lang)
	fmt.Fprintf(w, "%s: %s (%d)\n", name, doc.Title, doc.Status)
	if doc.Detail != "" {
		fmt.Fprintf(w, "  %s\n", doc.Detail)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range doc.Errors {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", e.Pointer, e.Code, e.Message)
	}
	return tw.Flush()
}

func runTemplates(args []string, getenv func(string) string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("templates", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return exitUsage, helpAsked(err)
	}
	if fs.NArg() != 0 {
		return exitUsage, errors.New("usage: intyg templates")
	}
	reg := schemas.MustLoadEmbedded()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TEMPLATE\tVERSION\tFORM\tVALID FROM\tTITLE")
	for _, t := range reg.All() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Version, t.FormNumber, t.ValidFrom, t.Title.SV)
	}
	return exitOK, tw.Flush()
}
