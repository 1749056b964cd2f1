package intake

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// IDKind says which kind of Swedish identity number a patient id is.
type IDKind string

// The kinds of Swedish identity number that ParsePersonalID accepts.
const (
	// KindPersonnummer is a personal identity number (personnummer).
	KindPersonnummer IDKind = "personnummer"
	// KindSamordningsnummer is a coordination number (samordningsnummer),
	// whose day of month is the real day plus 60.
	KindSamordningsnummer IDKind = "samordningsnummer"
)

// PersonalID is a parsed, canonical Swedish identity number.
type PersonalID struct {
	Number    string    // 12 digits, YYYYMMDDNNNN (for a samordningsnummer the day keeps its +60)
	Kind      IDKind    // personnummer or samordningsnummer
	BirthDate time.Time // civil date at 00:00 UTC; for samordningsnummer day − 60
}

// minBirthYear is the earliest year of birth an identity number may give:
// no one born before it is alive, so an earlier one (a 12-digit id in 1212,
// or in year 1, whose date no record could hold) is a mistyped number.
const minBirthYear = 1800

// The errors of ParsePersonalID. They are returned as they are, never
// wrapped, so callers may compare with ==. When several apply, the first
// in this list wins.
var (
	// ErrIDFormat means the id is not in one of the accepted forms.
	ErrIDFormat = errors.New("intake: personal id is not in the form YYYYMMDD-NNNN")
	// ErrIDBirthNumber means the id's birth number (the three digits
	// before the check digit) is 000, which is never issued.
	ErrIDBirthNumber = errors.New("intake: personal id has the birth number 000")
	// ErrIDInterim means the id is an interim (reserve) number, which has a
	// letter in the first position of its serial part.
	ErrIDInterim = errors.New("intake: personal id is an interim number")
	// ErrIDDate means the id's date is not a real calendar date, is in the
	// future, or is in a year before minBirthYear.
	ErrIDDate = errors.New("intake: personal id has an invalid date")
	// ErrIDChecksum means the id's check digit is wrong.
	ErrIDChecksum = errors.New("intake: personal id has a wrong check digit")
)

// ParsePersonalID parses s in any of these forms: YYYYMMDDNNNN,
// YYYYMMDD-NNNN, YYYYMMDD+NNNN, YYMMDD-NNNN, YYMMDDNNNN, YYMMDD+NNNN.
//
// Only the year, month and day of today (in its own location) are used; they
// decide the century of the short forms: without '+' the birth date is the
// most recent date that is not after today, and with '+' (a person aged 100
// or more) it is a further 100 years earlier. In the 12-digit forms the
// century is given and a '+' is accepted and ignored; a birth date after
// today, or in a year before minBirthYear, is ErrIDDate.
//
// Surrounding white space is trimmed; any other character outside the forms
// is ErrIDFormat, and the birth number 000 (only 001 to 999 are issued)
// ErrIDBirthNumber. The error is ErrIDFormat, ErrIDBirthNumber, ErrIDInterim,
// ErrIDDate or ErrIDChecksum, the first that applies in that order.
func ParsePersonalID(s string, today time.Time) (PersonalID, error) {
	s = strings.TrimSpace(s)
	var date, serial string
	plus := false
	switch len(s) {
	case 10, 12: // YYMMDDNNNN, YYYYMMDDNNNN
		date, serial = s[:len(s)-4], s[len(s)-4:]
	case 11, 13: // YYMMDD-NNNN, YYYYMMDD-NNNN and the same with '+'
		date, serial = s[:len(s)-5], s[len(s)-4:]
		switch s[len(s)-5] {
		case '-':
		case '+':
			plus = true
		default:
			return PersonalID{}, ErrIDFormat
		}
	default:
		return PersonalID{}, ErrIDFormat
	}
	if !allDigits(date) || !allDigits(serial[1:]) || !(isDigit(serial[0]) || isLetter(serial[0])) {
		return PersonalID{}, ErrIDFormat
	}
	if serial[:3] == "000" {
		return PersonalID{}, ErrIDBirthNumber
	}
	if isLetter(serial[0]) {
		return PersonalID{}, ErrIDInterim
	}

	ty, tm, td := today.Date()
	mmdd := date[len(date)-4:]
	month := atoi(mmdd[:2])
	day, kind := realDay(atoi(mmdd[2:]))
	var year int
	if len(date) == 8 {
		year = atoi(date[:4])
	} else {
		year = ty - ty%100 + atoi(date[:2])
		if year*10000+month*100+day > ty*10000+int(tm)*100+td {
			year -= 100
		}
		if plus {
			year -= 100
		}
	}
	birth, ok := civilDate(year, month, day)
	if !ok || year < minBirthYear || birth.After(time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC)) {
		return PersonalID{}, ErrIDDate
	}

	number := fmt.Sprintf("%04d", year) + mmdd + serial
	if !luhn(number[2:]) {
		return PersonalID{}, ErrIDChecksum
	}
	return PersonalID{Number: number, Kind: kind, BirthDate: birth}, nil
}

// FormatPersonalID writes a canonical 12-digit number (PersonalID.Number)
// as people read it, YYYYMMDD-NNNN; anything else as it is.
func FormatPersonalID(s string) string {
	if len(s) != 12 || !allDigits(s) {
		return s
	}
	return s[:8] + "-" + s[8:]
}

// ValidPersonalID reports whether s is a canonical 12-digit number (as in
// PersonalID.Number) with a real calendar date, a birth number other than
// 000 and a correct check digit. Having no reference date, it does not check
// that the date is not in the future.
func ValidPersonalID(s string) bool {
	if len(s) != 12 || !allDigits(s) || s[8:11] == "000" {
		return false
	}
	day, _ := realDay(atoi(s[6:8]))
	_, ok := civilDate(atoi(s[:4]), atoi(s[4:6]), day)
	return ok && luhn(s[2:])
}

// realDay returns the real day of month of an id's day part and the kind of
// id: a samordningsnummer has 60 added to the day.
func realDay(dd int) (int, IDKind) {
	if dd > 60 {
		return dd - 60, KindSamordningsnummer
	}
	return dd, KindPersonnummer
}

// civilDate returns the date at 00:00 UTC and whether it is a real calendar
// date in the years 1 to 9999.
func civilDate(year, month, day int) (time.Time, bool) {
	if year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	return t, t.Day() == day // a day past the month's end rolls over
}

// luhn reports whether the digits in s pass the Luhn check, doubling every
// other digit from the first (s has an even number of digits).
func luhn(s string) bool {
	sum := 0
	for i := 0; i < len(s); i++ {
		d := int(s[i] - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// atoi returns the value of the ASCII digits in s.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// allDigits reports whether s is all ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isLetter reports whether c is an ASCII letter.
func isLetter(c byte) bool { return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' }
