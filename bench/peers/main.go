// Command peers measures Intyg beside its peers on the same input, in one
// run, and prints the ratios (see BENCHMARKS.md):
//
//   - intake (decode, schema, rules, normalise) of a typical and a maximal
//     fk7804, beside Node + ajv (JSON.parse and validation against the
//     same JSON Schema: draft 2020-12, allErrors, formats) and beside the
//     Go decode floor, encoding/json/v2 (github.com/go-json-experiment/json,
//     the same code) decoding the same bytes into any;
//   - the PDF of the same certificates, Intyg's renderer beside warm
//     headless Chromium printing an HTML page of the certificate.
//
// Run it from the module root:
//
//	go run ./bench/peers [-count 5] [-time 1s] [-chromium /usr/bin/chromium]
//
// It installs ajv from bench/peers/package-lock.json (npm ci) when
// bench/peers/node_modules is missing. Every figure is the median of -count
// rounds of -time each, the rounds of Intyg and its floor interleaved.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	jsonv2 "github.com/go-json-experiment/json"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/render"
	"github.com/intyg/intyg/schemas"
)

func main() {
	if err := run(os.Args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

// document is one submission measured.
type document struct {
	name string
	path string
	body []byte
	cert *intake.Certificate
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	count := fs.Int("count", 5, "rounds per measurement (the median is printed)")
	roundTime := fs.Duration("time", time.Second, "length of one round")
	chromium := fs.String("chromium", "/usr/bin/chromium", "Chromium to print with (empty: skip the PDF peer)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join("bench", "peers", "ajv.mjs")); err != nil {
		return errors.New("run from the module root: go run ./bench/peers")
	}
	icd, err := intake.LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		return err
	}
	reg, err := schemas.Load(schemas.Embedded())
	if err != nil {
		return err
	}
	eng, err := intake.NewEngine(reg, icd, 0)
	if err != nil {
		return err
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var docs []*document
	for _, name := range []string{"typical", "maximal"} {
		d := &document{name: name, path: filepath.Join("bench", "peers", "testdata", name+".json")}
		if d.body, err = os.ReadFile(d.path); err != nil {
			return err
		}
		if d.cert, err = eng.Intake(d.body, now); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		docs = append(docs, d)
	}
	tmpl, _ := eng.Template("fk7804", "2.0")

	fmt.Fprintf(stdout, "Intyg beside its peers, %s, %d rounds of %v, medians\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), *count, *roundTime)
	fmt.Fprintf(stdout, "\n## intake\n\n| document | bytes | Intyg intake | Node + ajv | json/v2 into any | intake / json/v2 | ajv / json/v2 | intake / ajv |\n|---|---|---|---|---|---|---|---|\n")
	ajv, err := runAjv(docs, *count, *roundTime, stderr)
	if err != nil {
		return err
	}
	for _, d := range docs {
		var in, floor []float64
		for range *count {
			in = append(in, measure(*roundTime, func() error {
				_, err := eng.Intake(d.body, now)
				return err
			}))
			floor = append(floor, measure(*roundTime, func() error {
				var v any
				return jsonv2.Unmarshal(d.body, &v)
			}))
		}
		i, f, a := median(in), median(floor), median(ajv[d.name])
		fmt.Fprintf(stdout, "| %s | %d | %s | %s | %s | %.1fx | %.1fx | %.1fx |\n", d.name, len(d.body), dur(i), dur(a), dur(f), i/f, a/f, i/a)
	}

	fmt.Fprintf(stdout, "\n## PDF\n\n| document | Intyg render | warm headless Chromium (HTML page → PDF) | Chromium / Intyg |\n|---|---|---|---|\n")
	rnd, err := render.New()
	if err != nil {
		return err
	}
	var print func(html string) ([]byte, error)
	if *chromium != "" {
		var stop func()
		if print, stop, err = startChromium(*chromium); err != nil {
			return err
		}
		defer stop()
	}
	for _, d := range docs {
		var own, peer []float64
		html, err := certificateHTML(d.cert, tmpl)
		if err != nil {
			return err
		}
		if print != nil {
			for range 5 { // warm: the page, fonts and the print path
				if _, err := print(html); err != nil {
					return fmt.Errorf("chromium: %w", err)
				}
			}
		}
		for range *count {
			own = append(own, measure(*roundTime, func() error {
				return rnd.Render(io.Discard, d.cert, tmpl, render.CopyFull)
			}))
			if print != nil {
				peer = append(peer, measure(*roundTime, func() error {
					_, err := print(html)
					return err
				}))
			}
		}
		if print == nil {
			fmt.Fprintf(stdout, "| %s | %s | (skipped) | |\n", d.name, dur(median(own)))
			continue
		}
		o, p := median(own), median(peer)
		fmt.Fprintf(stdout, "| %s | %s | %s | %.1fx |\n", d.name, dur(o), dur(p), p/o)
	}
	return nil
}

// measure runs op for at least d and returns its time per call in
// nanoseconds.
func measure(d time.Duration, op func() error) float64 {
	n := 0
	start := time.Now()
	for n == 0 || time.Since(start) < d {
		if err := op(); err != nil {
			panic(err)
		}
		n++
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// dur shows nanoseconds per call in µs or ms.
func dur(ns float64) string {
	if ns >= 1e6 {
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
	return fmt.Sprintf("%.1f µs", ns/1e3)
}

// runAjv runs ajv.mjs on the documents (installing ajv from the lockfile
// first if needed) and returns each document's rounds, in nanoseconds per
// parse and validation.
func runAjv(docs []*document, count int, roundTime time.Duration, stderr io.Writer) (map[string][]float64, error) {
	dir := filepath.Join("bench", "peers")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "ajv")); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stderr, stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("npm ci in %s: %w", dir, err)
		}
	}
	args := []string{filepath.Join(dir, "ajv.mjs"), filepath.Join("schemas", "fk7804", "2.0", "schema.json")}
	for _, d := range docs {
		args = append(args, d.name+"="+d.path)
	}
	args = append(args, "-rounds", fmt.Sprint(count), "-mintime", fmt.Sprint(roundTime.Milliseconds()))
	var out, errOut bytes.Buffer
	cmd := exec.Command("node", args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("node ajv.mjs: %w: %s", err, errOut.Bytes())
	}
	res := map[string][]float64{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r struct {
			Name    string    `json:"name"`
			NsPerOp []float64 `json:"nsPerOp"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("node ajv.mjs: %q: %w", line, err)
		}
		res[r.Name] = r.NsPerOp
	}
	return res, nil
}

// startChromium starts one headless Chromium with one tab and returns a
// function that loads an HTML page into that tab and prints it to PDF.
func startChromium(path string) (print func(html string) ([]byte, error), stop func(), err error) {
	profile, err := os.MkdirTemp("", "intyg-peers-chromium-")
	if err != nil {
		return nil, nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	stop = func() {
		cancel()
		cancelAlloc()
		os.RemoveAll(profile)
	}
	if err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		stop()
		return nil, nil, fmt.Errorf("start chromium: %w", err)
	}
	print = func(html string) ([]byte, error) {
		var pdf []byte
		err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
			tree, err := page.GetFrameTree().Do(ctx)
			if err != nil {
				return err
			}
			if err := page.SetDocumentContent(tree.Frame.ID, html).Do(ctx); err != nil {
				return err
			}
			pdf, _, err = page.PrintToPDF().WithPrintBackground(true).Do(ctx)
			return err
		}))
		return pdf, err
	}
	return print, stop, nil
}

// certificateHTML is the certificate as one printable HTML page: the
// template's sections and questions with the record's answers, as the PDF
// has them.
func certificateHTML(c *intake.Certificate, t *schemas.Template) (string, error) {
	type row struct{ ID, Label, Answer string }
	type section struct {
		Title string
		Rows  []row
	}
	var sections []section
	for _, s := range t.Form.Sections {
		sec := section{Title: s.Title.SV}
		for _, q := range s.Questions {
			v, ok := c.Answers[q.Field]
			if !ok {
				continue
			}
			sec.Rows = append(sec.Rows, row{q.ID, q.Label.SV, answerText(v)})
		}
		if len(sec.Rows) > 0 {
			sections = append(sections, sec)
		}
	}
	var b strings.Builder
	err := pageTemplate.Execute(&b, map[string]any{"C": c, "Title": t.Title.SV, "Sections": sections})
	return b.String(), err
}

// answerText writes a decoded answer as text.
func answerText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any, []any:
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	}
	return fmt.Sprint(v)
}

var pageTemplate = template.Must(template.New("certificate").Parse(`<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; margin: 2cm; }
h1 { font-size: 16pt; } h2 { font-size: 12pt; border-bottom: 1px solid #000; }
dt { font-weight: bold; margin-top: .5em; } dd { margin: 0; white-space: pre-wrap; }
</style></head><body>
<h1>{{.Title}}</h1>
<p>Patient: {{.C.Patient.Name}} ({{.C.Patient.ID}})<br>
Utfärdare: {{.C.Issuer.Name}}, {{.C.Issuer.Unit.Name}}, {{.C.Issuer.Unit.Address}}, {{.C.Issuer.Unit.PostalCode}} {{.C.Issuer.Unit.City}}<br>
Signerat: {{.C.SignedAt.Format "2006-01-02 15:04"}}</p>
{{range .Sections}}<h2>{{.Title}}</h2><dl>{{range .Rows}}<dt>{{.ID}} {{.Label}}</dt><dd>{{.Answer}}</dd>{{end}}</dl>{{end}}
</body></html>
`))
