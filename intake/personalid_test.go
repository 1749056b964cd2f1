package intake

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// pidTestdata is the personnummer project's shared test data.
const pidTestdata = "../../shared/testdata/personnummer"

// pidToday is the fixed "today" of the tests.
var pidToday = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// pidEntry is one entry of list.json and interim.json.
type pidEntry struct {
	LongFormat      string `json:"long_format"`
	ShortFormat     string `json:"short_format"`
	SeparatedFormat string `json:"separated_format"`
	SeparatedLong   string `json:"separated_long"`
	Valid           bool   `json:"valid"`
	Type            string `json:"type"`
}

// pidKinds maps the test data's types to kinds.
var pidKinds = map[string]IDKind{"ssn": KindPersonnummer, "con": KindSamordningsnummer}

// readPIDTestdata decodes the named file of the shared test data into v,
// skipping the test if the test data is not there.
func readPIDTestdata(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(pidTestdata, name))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("shared personnummer test data not found at %s: %v", pidTestdata, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func TestParsePersonalIDList(t *testing.T) {
	var entries []pidEntry
	readPIDTestdata(t, "list.json", &entries)
	if len(entries) == 0 {
		t.Fatal("list.json has no entries")
	}
	for _, e := range entries {
		forms := []struct {
			name, s   string
			numberSet bool // whether the century is given, so Number must equal long_format
		}{
			{"long_format", e.LongFormat, true},
			{"separated_long", e.SeparatedLong, true},
			{"separated_format", e.SeparatedFormat, true}, // '+' marks 100 or older
			{"short_format", e.ShortFormat, false},        // century implied by today only
		}
		for _, f := range forms {
			t.Run(f.name+"/"+f.s, func(t *testing.T) {
				got, err := ParsePersonalID(f.s, pidToday)
				if !e.Valid {
					if err == nil {
						t.Fatalf("ParsePersonalID(%q) = %+v, want an error", f.s, got)
					}
					return
				}
				if err != nil {
					t.Fatalf("ParsePersonalID(%q): got error %v, want none", f.s, err)
				}
				if f.numberSet && got.Number != e.LongFormat {
					t.Errorf("Number: got %v, want %v", got.Number, e.LongFormat)
				}
				if want := pidKinds[e.Type]; got.Kind != want {
					t.Errorf("Kind: got %v, want %v", got.Kind, want)
				}
				if !ValidPersonalID(got.Number) {
					t.Errorf("ValidPersonalID(%q): got false, want true", got.Number)
				}
			})
		}
	}
}

// Every entry of interim.json has an interim shape (a letter first in the
// serial part), including the one marked invalid there (letter E, which the
// personnummer project does not count as an interim letter). Intyg refuses
// all interim numbers, and ErrIDInterim takes precedence over date and check
// digit errors, so every form of every entry must give ErrIDInterim.
func TestParsePersonalIDInterim(t *testing.T) {
	var entries []pidEntry
	readPIDTestdata(t, "interim.json", &entries)
	if len(entries) == 0 {
		t.Fatal("interim.json has no entries")
	}
	for _, e := range entries {
		for _, s := range []string{e.LongFormat, e.SeparatedLong, e.SeparatedFormat, e.ShortFormat} {
			t.Run(s, func(t *testing.T) {
				got, err := ParsePersonalID(s, pidToday)
				if err != ErrIDInterim {
					t.Errorf("ParsePersonalID(%q) = %+v, %v; want error %v", s, got, err, ErrIDInterim)
				}
			})
		}
	}
}

func TestParsePersonalIDStructured(t *testing.T) {
	var data map[string]struct {
		Integer struct{ Valid, Invalid []int64 }
		String  struct{ Valid, Invalid []string }
	}
	readPIDTestdata(t, "structured.json", &data)
	if len(data) == 0 {
		t.Fatal("structured.json has no types")
	}
	for typ, d := range data {
		kind, ok := pidKinds[typ]
		if !ok {
			t.Fatalf("structured.json: unknown type %q", typ)
		}
		if len(d.String.Valid) == 0 || len(d.String.Invalid) == 0 {
			t.Fatalf("structured.json: type %q has no valid or no invalid strings", typ)
		}
		for _, s := range d.String.Valid {
			t.Run(typ+"/valid/"+s, func(t *testing.T) {
				got, err := ParsePersonalID(s, pidToday)
				if err != nil {
					t.Fatalf("ParsePersonalID(%q): got error %v, want none", s, err)
				}
				if got.Kind != kind {
					t.Errorf("Kind: got %v, want %v", got.Kind, kind)
				}
			})
		}
		for _, s := range d.String.Invalid {
			t.Run(typ+"/invalid/"+s, func(t *testing.T) {
				if got, err := ParsePersonalID(s, pidToday); err == nil {
					t.Errorf("ParsePersonalID(%q) = %+v, want an error", s, got)
				}
			})
		}
		for _, n := range d.Integer.Valid {
			s := strconv.FormatInt(n, 10)
			t.Run(typ+"/valid-integer/"+s, func(t *testing.T) {
				if !ValidPersonalID(s) {
					t.Errorf("ValidPersonalID(%q): got false, want true", s)
				}
			})
		}
		for _, n := range d.Integer.Invalid {
			s := strconv.FormatInt(n, 10)
			t.Run(typ+"/invalid-integer/"+s, func(t *testing.T) {
				if ValidPersonalID(s) {
					t.Errorf("ValidPersonalID(%q): got true, want false", s)
				}
			})
		}
	}
}

// pidDate returns the civil date at 00:00 UTC.
func pidDate(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func TestParsePersonalID(t *testing.T) {
	ssn := func(number string, birth time.Time) PersonalID {
		return PersonalID{Number: number, Kind: KindPersonnummer, BirthDate: birth}
	}
	con := func(number string, birth time.Time) PersonalID {
		return PersonalID{Number: number, Kind: KindSamordningsnummer, BirthDate: birth}
	}
	tests := []struct {
		name  string
		in    string
		today time.Time // pidToday if zero
		want  PersonalID
	}{
		{"long", "191212121212", time.Time{}, ssn("191212121212", pidDate(1912, 12, 12))},
		{"separated long", "19121212-1212", time.Time{}, ssn("191212121212", pidDate(1912, 12, 12))},
		{"separated long plus ignored", "19121212+1212", time.Time{}, ssn("191212121212", pidDate(1912, 12, 12))},
		{"separated long 2000s", "20121212-1212", time.Time{}, ssn("201212121212", pidDate(2012, 12, 12))},
		{"short this century", "121212-1212", time.Time{}, ssn("201212121212", pidDate(2012, 12, 12))},
		{"short without separator", "1212121212", time.Time{}, ssn("201212121212", pidDate(2012, 12, 12))},
		{"short plus is 100 or older", "121212+1212", time.Time{}, ssn("191212121212", pidDate(1912, 12, 12))},
		{"short today", "261120-1233", time.Time{}, ssn("202611201233", pidDate(2026, 11, 20))},
		{"short tomorrow is last century", "261121-1232", time.Time{}, ssn("192611211232", pidDate(1926, 11, 21))},
		{"short later this year is last century", "261231-1239", time.Time{}, ssn("192612311239", pidDate(1926, 12, 31))},
		{"short without separator later this year", "2612311239", time.Time{}, ssn("192612311239", pidDate(1926, 12, 31))},
		{"short plus later this year", "261231+1239", time.Time{}, ssn("182612311239", pidDate(1826, 12, 31))},
		{"birth number 001", "20150916-0014", time.Time{}, ssn("201509160014", pidDate(2015, 9, 16))},
		{"short 99 is last century", "991231-1231", time.Time{}, ssn("199912311231", pidDate(1999, 12, 31))},
		{"samordningsnummer long", "197302889931", time.Time{}, con("197302889931", pidDate(1973, 2, 28))},
		{"samordningsnummer short", "730288-9931", time.Time{}, con("197302889931", pidDate(1973, 2, 28))},
		{"samordningsnummer day 61", "730161-1237", time.Time{}, con("197301611237", pidDate(1973, 1, 1))},
		{"samordningsnummer day 91", "19730191-1231", time.Time{}, con("197301911231", pidDate(1973, 1, 31))},
		{"samordningsnummer leap day", "20040289-1238", time.Time{}, con("200402891238", pidDate(2004, 2, 29))},
		{"leap day 2000", "20000229-1235", time.Time{}, ssn("200002291235", pidDate(2000, 2, 29))},
		{"leap day short", "000229-1235", time.Time{}, ssn("200002291235", pidDate(2000, 2, 29))},
		{"surrounding white space", " \t19121212-1212\n", time.Time{}, ssn("191212121212", pidDate(1912, 12, 12))},
		{"surrounding white space short", "  121212+1212  ", time.Time{}, ssn("191212121212", pidDate(1912, 12, 12))},
		{
			"only today's civil date is used",
			"261120-1233",
			time.Date(2026, 11, 20, 23, 30, 0, 0, time.FixedZone("UTC-10", -10*3600)),
			ssn("202611201233", pidDate(2026, 11, 20)),
		},
		{
			"today early in the year",
			"261120-1233",
			pidDate(2026, 1, 1),
			ssn("192611201233", pidDate(1926, 11, 20)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			today := tt.today
			if today.IsZero() {
				today = pidToday
			}
			got, err := ParsePersonalID(tt.in, today)
			if err != nil {
				t.Fatalf("ParsePersonalID(%q): got error %v, want none", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePersonalID(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if got.BirthDate.Location() != time.UTC {
				t.Errorf("BirthDate location: got %v, want %v", got.BirthDate.Location(), time.UTC)
			}
		})
	}
}

func TestParsePersonalIDErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrIDFormat},
		{"white space only", "   ", ErrIDFormat},
		{"too short", "121212-121", ErrIDFormat},
		{"nine digits", "121212121", ErrIDFormat},
		{"eleven digits", "12121212121", ErrIDFormat},
		{"thirteen digits", "1912121212121", ErrIDFormat},
		{"too long", "19121212-12121", ErrIDFormat},
		{"inner space long", "19121212 1212", ErrIDFormat},
		{"inner space short", "121212 1212", ErrIDFormat},
		{"other separator", "121212_1212", ErrIDFormat},
		{"slash", "19121212/1212", ErrIDFormat},
		{"en dash", "19121212\u20131212", ErrIDFormat},
		{"separator in wrong place", "1912121-21212", ErrIDFormat},
		{"two separators", "121212--1212", ErrIDFormat},
		{"letter in date", "1912121A1212", ErrIDFormat},
		{"letter in second serial position", "20000101-1T20", ErrIDFormat},
		{"two letters in serial", "20000101-TT20", ErrIDFormat},
		{"letter as check digit", "19121212121X", ErrIDFormat},
		{"non-ASCII digit", "19121212-121\u0662", ErrIDFormat},
		{"inner space beats interim", "20000101 T220", ErrIDFormat},
		{"trailing garbage", "19121212-1212x", ErrIDFormat},
		// Birth number 000 is never issued; the shared test data counts
		// 20150916-0006 (check digit right) as invalid for this reason.
		{"birth number 000", "20150916-0006", ErrIDBirthNumber},
		{"birth number 000 short", "1509160006", ErrIDBirthNumber},
		{"birth number 000 beats date", "20151316-0006", ErrIDBirthNumber},
		{"born before 1800", "17991231-1238", ErrIDDate},
		{"born in 1212", "12121212-1238", ErrIDDate},
		{"born in year 1", "00010101-1237", ErrIDDate},

		{"interim long", "20000101T220", ErrIDInterim},
		{"interim separated long", "20000101-T220", ErrIDInterim},
		{"interim short", "000101R220", ErrIDInterim},
		{"interim separated short", "000101-R220", ErrIDInterim},
		{"interim plus", "000101+X220", ErrIDInterim},
		{"interim lower case", "20000101-t220", ErrIDInterim},
		{"interim beats date", "20001301-T220", ErrIDInterim},
		{"interim beats checksum", "20000101-T221", ErrIDInterim},

		{"month 13", "19121312-1237", ErrIDDate},
		{"month 0", "19120012-1212", ErrIDDate},
		{"day 0", "19121200-1232", ErrIDDate},
		{"day 32", "19121232-1234", ErrIDDate},
		{"day 60 is neither kind", "19121260-1239", ErrIDDate},
		{"samordningsnummer day 92", "19121292-1231", ErrIDDate},
		{"samordningsnummer Feb 29 non-leap", "20030289-1239", ErrIDDate},
		{"Feb 29 in 1900", "19000229-1235", ErrIDDate},
		{"Feb 29 in 2029 long", "20290229-1232", ErrIDDate},
		{"Feb 29 short goes to 1929", "290229-1232", ErrIDDate},
		{"year 0", "000001011234", ErrIDDate},
		{"tomorrow long", "20261121-1232", ErrIDDate},
		{"future year long", "20991231-1231", ErrIDDate},
		{"tomorrow long with plus", "20261121+1232", ErrIDDate},
		{"date beats checksum", "19121312-1230", ErrIDDate},

		{"checksum long", "19121212-1213", ErrIDChecksum},
		{"checksum short", "121212-1211", ErrIDChecksum},
		{"checksum short plus", "121212+1210", ErrIDChecksum},
		{"checksum samordningsnummer", "19730288-9932", ErrIDChecksum},
		{"checksum swapped digits", "19121212-2112", ErrIDChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePersonalID(tt.in, pidToday)
			// Callers compare with ==, so the sentinel must not be wrapped.
			if err != tt.want {
				t.Errorf("ParsePersonalID(%q) = %+v, %v; want error %v", tt.in, got, err, tt.want)
			}
			if got != (PersonalID{}) {
				t.Errorf("ParsePersonalID(%q): got %+v with an error, want the zero PersonalID", tt.in, got)
			}
		})
	}
}

func TestValidPersonalID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"191212121212", true},
		{"201212121212", true},
		{"197302889931", true}, // samordningsnummer
		{"200002291235", true}, // leap day
		{"200402891238", true}, // samordningsnummer leap day
		{"209912311231", true}, // no reference date, so the future is not checked

		{"", false},
		{"19121212-1212", false}, // not canonical
		{"1212121212", false},    // not canonical
		{" 191212121212", false}, // not canonical
		{"191212121213", false},  // check digit
		{"191213121237", false},  // month 13
		{"191212001232", false},  // day 0
		{"191212601239", false},  // day 60
		{"190002291235", false},  // Feb 29 in 1900
		{"200302891239", false},  // samordningsnummer Feb 29 non-leap
		{"000001011234", false},  // year 0
		{"20000101T220", false},  // interim
		{"19121212121A", false},
		{"201509160006", false}, // birth number 000
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ValidPersonalID(tt.in); got != tt.want {
				t.Errorf("ValidPersonalID(%q): got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestPersonalIDProblem: each way an identity number is refused has its
// code and says what is wrong, in Swedish and in English.
func TestPersonalIDProblem(t *testing.T) {
	tests := []struct {
		name              string
		in                string
		code, sv, english string
	}{
		{"format", "19121212+12x2", "format", "Värdet har fel format, ÅÅÅÅMMDD-NNNN förväntas.", "The value has the wrong format, expected YYYYMMDD-NNNN."},
		{"birth number 000", "20150916-0006", "format", "Födelsenumret 000 (siffrorna före kontrollsiffran) delas aldrig ut.", "The birth number 000 (the digits before the check digit) is never issued."},
		{"interim", "19121212-T212", "interimNumber", "Reservnummer kan inte användas, ange personnummer eller samordningsnummer.", "Interim numbers cannot be used; give a personnummer or samordningsnummer."},
		{"date", "19121312-1212", "invalidDate", "Födelsedatumet i numret är inte ett giltigt datum.", "The date of birth in the number is not a valid date."},
		{"checksum", "19121212-1213", "checksum", "Kontrollsiffran stämmer inte.", "The check digit is wrong."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePersonalID(tt.in, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
			if err == nil {
				t.Fatalf("ParsePersonalID(%q) accepted it", tt.in)
			}
			got := PersonalIDProblem("/patient/id", err)
			want := Problem{Pointer: "/patient/id", Code: tt.code, Message: tt.sv, MessageEn: tt.english}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("PersonalIDProblem(%v) mismatch (-want +got):\n%s", err, diff)
			}
		})
	}
}

func TestFormatPersonalID(t *testing.T) {
	for in, want := range map[string]string{
		"191212121212": "19121212-1212", // personnummer
		"198812722387": "19881272-2387", // samordningsnummer (day + 60)
		"121212-1212":  "121212-1212",   // not canonical: as it is
		"19121212121X": "19121212121X",
		"":             "",
	} {
		if got := FormatPersonalID(in); got != want {
			t.Errorf("FormatPersonalID(%q) = %q, want %q", in, got, want)
		}
	}
}
