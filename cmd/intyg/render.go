package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/render"
)

// runRender renders a submission to PDF without storing it. An invalid
// submission prints its problems and exits 1, and writes no file.
func runRender(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "the PDF file to write (- for standard output)")
	copyName := fs.String("copy", "", "employer: the copy without diagnoses and medical details")
	icdDir := fs.String("icd10se", getenv("INTYG_ICD10SE"), "directory with a newer ICD-10-SE edition")
	// Flags before or after the file, as "intyg render FILE -o out.pdf" reads best.
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage, helpAsked(err)
	}
	if len(files) != 1 || *out == "" {
		return exitUsage, errors.New("usage: intyg render FILE|- -o OUT.pdf [--copy employer]")
	}
	var b []byte
	if files[0] == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(files[0])
	}
	if err != nil {
		return exitUsage, err
	}
	eng, err := newEngine(*icdDir, 0)
	if err != nil {
		return exitUsage, err
	}
	cert, err := eng.Intake(b, time.Now())
	if err != nil {
		if intake.ErrorCode(err) == intake.EINTERNAL {
			return exitUsage, err
		}
		printResult(stdout, files[0], nil, err, "text", "sv", false)
		return exitInvalid, nil
	}
	sum := sha256.Sum256(b)
	cert.SHA256 = hex.EncodeToString(sum[:])
	tmpl, _ := eng.Template(cert.Template, cert.Version)
	r, err := render.New()
	if err != nil {
		return exitUsage, err
	}
	var pdf bytes.Buffer
	if err := r.Render(&pdf, cert, tmpl, render.Copy(*copyName)); err != nil {
		return exitUsage, errors.New(intake.ErrorMessage(err))
	}
	if *out == "-" {
		_, err = stdout.Write(pdf.Bytes())
		return exitOK, err
	}
	// Patient data: the owner's only, as the database. A regular file
	// written over is made so before the data goes in; a device or pipe
	// (-o /dev/stdout) is left as it is.
	if fi, err := os.Stat(*out); err == nil && fi.Mode().IsRegular() {
		if err := os.Chmod(*out, fileMode); err != nil {
			return exitUsage, err
		}
	}
	if err := os.WriteFile(*out, pdf.Bytes(), fileMode); err != nil {
		return exitUsage, err
	}
	fmt.Fprintf(stderr, "wrote %s (%d bytes)\n", *out, pdf.Len())
	return exitOK, nil
}
