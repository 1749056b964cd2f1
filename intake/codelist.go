package intake

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// CodeList is a code system's codes and titles, such as ICD-10-SE. Codes are
// kept without dots, in upper case.
type CodeList struct {
	// Name is the list's name as templates refer to it, such as "icd10se".
	Name string
	// Title is the code system's name for messages, such as "ICD-10-SE".
	Title  string
	titles map[string]string
	// chapters are the list's chapters in order, if it has them.
	chapters []Chapter
	searchState
}

// Chapter is a chapter of a code list: a range of three-character codes
// with a title, such as F00-F99 "Psykiska sjukdomar och syndrom …".
type Chapter struct {
	// ID is the range, "F00-F99".
	ID string
	// Title is the chapter's title.
	Title string
}

// Chapters returns the list's chapters in order (none if the list has no
// chapter file).
func (cl *CodeList) Chapters() []Chapter { return cl.chapters }

// ChapterOf returns the chapter a code (dotted or not) belongs to.
func (cl *CodeList) ChapterOf(code string) (Chapter, bool) {
	c := bareCode(code)
	if len(c) < 3 {
		return Chapter{}, false
	}
	for _, ch := range cl.chapters {
		if c[:3] >= ch.ID[:3] && c[:3] <= ch.ID[4:] {
			return ch, true
		}
	}
	return Chapter{}, false
}

// loadChapters reads diagnoskapitel.txt (RANGE TITLE on each line, the
// range "A00-B99" written without a separator before the title), when
// fsys has it.
func (cl *CodeList) loadChapters(fsys fs.FS) error {
	b, err := fs.ReadFile(fsys, "diagnoskapitel.txt")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("icd10se: %w", err)
	}
	for n, line := range strings.Split(strings.ReplaceAll(string(b), "\r", ""), "\n") {
		if line == "" {
			continue
		}
		if len(line) < 8 || line[3] != '-' || !codeShape(line[:3]) || !codeShape(line[4:7]) {
			return fmt.Errorf("icd10se: diagnoskapitel.txt line %d: want RANGE (A00-B99) and TITLE", n+1)
		}
		cl.chapters = append(cl.chapters, Chapter{ID: line[:7], Title: strings.TrimSpace(line[7:])})
	}
	return nil
}

// LoadICD10SE reads ICD-10-SE from the files digit3.txt, digit4.txt and
// digit5.txt of fsys (CODE \t DAGGER-OR-STAR \t TITLE, UTF-8). The embedded
// edition is schemas.ICD10SE(); a newer one can be loaded from a directory.
func LoadICD10SE(fsys fs.FS) (*CodeList, error) {
	cl := &CodeList{Name: "icd10se", Title: "ICD-10-SE", titles: make(map[string]string, 36000)}
	for _, name := range []string{"digit3.txt", "digit4.txt", "digit5.txt"} {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, fmt.Errorf("icd10se: %w", err)
		}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimRight(sc.Text(), "\r")
			if line == "" {
				continue
			}
			parts := strings.SplitN(line, "\t", 3)
			code := UpperASCII(strings.TrimSpace(parts[0]))
			if len(parts) != 3 || !codeShape(code) {
				f.Close()
				return nil, fmt.Errorf("icd10se: %s line %d: want CODE<TAB>MARK<TAB>TITLE", name, n)
			}
			cl.titles[code] = strings.TrimSpace(parts[2])
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("icd10se: %s: %w", name, err)
		}
	}
	if len(cl.titles) == 0 {
		return nil, fmt.Errorf("icd10se: no codes")
	}
	if err := cl.loadChapters(fsys); err != nil {
		return nil, err
	}
	return cl, nil
}

// Len returns the number of codes.
func (cl *CodeList) Len() int { return len(cl.titles) }

// Lookup finds code, written with or without a dot and in any case, and
// returns its dotted form ("F43.8A") and title.
func (cl *CodeList) Lookup(code string) (dotted, title string, ok bool) {
	bare := bareCode(code)
	title, ok = cl.titles[bare]
	if !ok {
		return "", "", false
	}
	return dottedCode(bare), title, true
}

// bareCode removes surrounding space and one dot after the third character
// and upper-cases the code: "f43.8a" → "F438A".
func bareCode(code string) string {
	c := UpperASCII(strings.TrimSpace(code))
	if len(c) > 4 && c[3] == '.' {
		c = c[:3] + c[4:]
	}
	return c
}

// dottedCode writes a bare code with a dot after the category: "F438A" → "F43.8A".
func dottedCode(bare string) string {
	if len(bare) <= 3 {
		return bare
	}
	return bare[:3] + "." + bare[3:]
}

// codeShape reports whether c looks like a bare ICD-10 code: a letter, two
// digits, and up to two more digits or letters.
func codeShape(c string) bool {
	if len(c) < 3 || len(c) > 5 || c[0] < 'A' || c[0] > 'Z' {
		return false
	}
	for i := 1; i < len(c); i++ {
		digit := c[i] >= '0' && c[i] <= '9'
		letter := c[i] >= 'A' && c[i] <= 'Z'
		if !digit && !(i >= 3 && letter) {
			return false
		}
	}
	return true
}
