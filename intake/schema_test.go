package intake

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestShapes holds isHSAID and isPostalCode to the regular expressions they
// write out, on valid values at every length limit, every one-character
// change of them, and random strings built of the characters that matter.
func TestShapes(t *testing.T) {
	tests := []struct {
		name    string
		pattern *regexp.Regexp
		match   func(string) bool
		valid   []string
	}{
		{"isHSAID", regexp.MustCompile(`^[A-Z0-9]{2,14}[0-9]{10}-[A-Z0-9]{1,31}$`), isHSAID, []string{
			"SE2321000016-1003", "AB1234567890-X", strings.Repeat("Z", 14) + "1234567890-" + strings.Repeat("9", 31),
			"SE2321000016-7P0C", "121234567890-0",
		}},
		{"isPostalCode", regexp.MustCompile(`^[0-9]{3} ?[0-9]{2}$`), isPostalCode, []string{"114 59", "11459", "000 00"}},
	}
	alphabet := []string{"0", "5", "9", "A", "Z", "a", "z", "-", " ", "å", "\x00", "/", ":", "@", "[", "\xff"}
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, tt := range tests {
		check := func(s string) {
			if got, want := tt.match(s), tt.pattern.MatchString(s); got != want {
				t.Errorf("%s(%q) = %v, want %v", tt.name, s, got, want)
			}
		}
		for _, v := range tt.valid {
			check(v)
			for i := 0; i <= len(v); i++ {
				for _, c := range alphabet {
					check(v[:i] + c + v[i:])
					if i < len(v) {
						check(v[:i] + c + v[i+1:])
					}
				}
				if i < len(v) {
					check(v[:i] + v[i+1:])
				}
			}
		}
		for range 100000 {
			var b strings.Builder
			for range rnd.IntN(50) {
				switch r := rnd.IntN(10); {
				case r < 6:
					b.WriteByte(byte('0' + rnd.IntN(10)))
				case r < 8:
					b.WriteByte(byte('A' + rnd.IntN(26)))
				default:
					b.WriteString(alphabet[rnd.IntN(len(alphabet))])
				}
			}
			check(b.String())
		}
	}
}

// TestDateOf compares dateOf with time.Parse on every day of 1899 to 2101
// (leap years of every kind) and on strings that are not dates.
func TestDateOf(t *testing.T) {
	var inputs []string
	for d := time.Date(1899, 12, 25, 0, 0, 0, 0, time.UTC); d.Year() < 2102; d = d.AddDate(0, 0, 1) {
		inputs = append(inputs, d.Format(time.DateOnly))
	}
	for _, s := range []string{"", "2026-02-29", "2024-02-30", "1900-02-29", "2000-02-29", "2026-04-31", "2026-00-01",
		"2026-13-01", "2026-01-00", "2026-01-32", "0000-01-01", "9999-12-31", "2026-1-01", "2026-01-1", "+026-01-01",
		"2026/01/01", "2026-01-01 ", "20260101", "2026-01-01T00:00:00Z", "２026-01-01", "2026-0a-01"} {
		inputs = append(inputs, s)
	}
	for _, s := range inputs {
		want, err := time.Parse(time.DateOnly, s)
		got, ok := dateOf(s)
		if ok != (err == nil) || (ok && got.Time != want) {
			t.Errorf("dateOf(%q) = %v, %v; time.Parse = %v, %v", s, got, ok, want, err)
		}
	}
}

// TestDateJSON holds Date's JSON to what encoding/json writes for its
// string (null for the zero Date), on every day of 1899 to 2101 and at the
// ends of the years a Date may hold, and reads each back.
func TestDateJSON(t *testing.T) {
	dates := []Date{{}, {time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}, {time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}}
	for d := time.Date(1899, 12, 25, 0, 0, 0, 0, time.UTC); d.Year() < 2102; d = d.AddDate(0, 0, 1) {
		dates = append(dates, Date{d})
	}
	for _, d := range dates {
		want := []byte("null")
		if !d.IsZero() {
			want, _ = json.Marshal(d.Format(time.DateOnly))
		}
		got, err := d.MarshalJSON()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%v: MarshalJSON = %s, %v; want %s", d.Time, got, err, want)
		}
		var back Date
		if err := json.Unmarshal(got, &back); err != nil || back != d {
			t.Fatalf("%s read back as %v, %v", got, back.Time, err)
		}
	}
}

// TestDaysUntil counts calendar days: across the changes to and from
// summer time in Stockholm, backwards, and over spans longer than a
// time.Duration holds (a period a physician mistyped as ending in 2500
// had been counted as 106,753 days).
func TestDaysUntil(t *testing.T) {
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }
	local := func(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, stockholm)} }
	tests := []struct {
		name     string
		from, to Date
		want     int
	}{
		{"same day", day(2026, 11, 20), day(2026, 11, 20), 0},
		{"next day", day(2026, 11, 20), day(2026, 11, 21), 1},
		{"a day back", day(2026, 11, 21), day(2026, 11, 20), -1},
		{"two days back", day(2026, 11, 22), day(2026, 11, 20), -2},
		{"over the change to summer time", local(2026, 3, 28), local(2026, 3, 30), 2},
		{"over the change to winter time", local(2026, 10, 24), local(2026, 10, 26), 2},
		{"to 2320", day(2026, 11, 20), day(2320, 1, 1), 107057},
		{"to 2500", day(2026, 11, 20), day(2500, 1, 1), 172802},
		{"every day a date may hold", day(1900, 1, 1), day(9999, 12, 31), 2958463},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.from.DaysUntil(tt.to); got != tt.want {
				t.Errorf("DaysUntil() = %d, want %d", got, tt.want)
			}
		})
	}
}
