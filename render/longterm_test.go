package render_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/intyg/intyg/render"
)

// TestLongTermStatementPDFs checks with pdftotext that the statements for
// long-term compensation print what their pages are about: every basis
// option with the chosen ones ticked and dated, the date the physician first
// knew the patient, the investigations each with its type, date and source,
// every impairment area with the ticked ones' texts, both answers of the
// yes/no questions with the chosen one ticked, and only the questions of
// the template.
func TestLongTermStatementPDFs(t *testing.T) {
	eng, r := mustEngine(t), mustRenderer(t)
	tests := []struct {
		template string
		want     []string
		absent   []string
	}{
		{"fk7800", []string{
			"X Min undersökning av patienten 2026-11-10", "X Journaluppgifter från den 2026-11-02",
			"Anhörigs beskrivning av patienten", "2. Jag har känt patienten sedan 2019-03-14",
			"Underlag från psykolog", "2026-06-18", "Psykologmottagningen, Centralsjukhuset Karlstad",
			"Underlag från fysioterapeut", "2026-09-02",
			"Intellektuell funktion", "X 10. Uppmärksamhet, koncentration och exekutiv funktion Svårt att hålla fokus", "Annan kroppslig funktion",
			"45. Finns det skäl att revidera eller uppdatera en tidigare ställd diagnos? Ja X Nej",
			"26. Jag önskar att Försäkringskassan kontaktar mig X Ja", "26.2. Ange gärna varför du vill bli kontaktad Jag vill gärna diskutera",
		}, []string{"24.", "15.", "Andningsfunktion"}},
		{"fk7801", []string{
			"X Min undersökning av patienten 2026-11-10", "2. Jag har känt patienten sedan 2019-03-14",
			"X 11. Annan psykisk funktion Nedstämdhet", "24. Beskriv eller lämna förslag på vad som kan underlätta för patienten att komma ut i arbete Arbetsträning",
		}, []string{"15.", "16."}},
		{"fk7802", []string{
			"X Min undersökning av patienten 2026-11-10", "2. Jag har känt patienten sedan 2019-03-14",
			"Underlag från skolhälsovården", "Elevhälsan, Tingvallagymnasiet Karlstad",
			"15. Beskriv när och hur patientens funktionsnedsättning debuterade", "16. Beskriv hur funktionsnedsättningen påverkar",
		}, []string{"5. Bakgrund", "8. Beskriv", "17.", "22.", "24."}},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			f := filepath.Join("..", "examples", tt.template, "valid", "full-two-basis-two-investigations-contact.json")
			c, tmpl := stored(t, eng, readFile(t, f), "longterm-test")
			text := squash(pdfText(t, renderPDF(t, r, c, tmpl, render.CopyFull)))
			for _, want := range tt.want {
				if !strings.Contains(text, squash(want)) {
					t.Errorf("the PDF lacks %q", want)
				}
			}
			for _, no := range tt.absent {
				if strings.Contains(text, squash(no)) {
					t.Errorf("the PDF has %q, which %s does not ask", no, tt.template)
				}
			}
		})
	}
}
