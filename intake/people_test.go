package intake

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/intyg/intyg/schemas"
)

// pointersAndCodes is what a test compares of problems: "pointer code".
func pointersAndCodes(ps Problems) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Pointer+" "+p.Code)
	}
	return out
}

func TestCheckUser(t *testing.T) {
	physician := func() *User {
		return &User{Username: "asa", Name: "Åsa", Role: RolePhysician, HSAID: "SE2321000016-1003", SigningRole: "DOCTOR", Units: []string{"SE2321000016-7P0C"}}
	}
	tests := []struct {
		name   string
		change func(u *User)
		want   []string
	}{
		{"valid physician", func(*User) {}, nil},
		{"valid admin", func(u *User) { *u = User{Username: "dan.admin_2", Name: "Dan", Role: RoleAdmin} }, nil},
		{"everything missing", func(u *User) { *u = User{} }, []string{"/name required", "/role enum", "/username pattern"}},
		{"physician without HSA-id, signing role, units", func(u *User) { u.HSAID, u.SigningRole, u.Units = "", "", nil },
			[]string{"/hsaId required", "/signingRole required", "/units minItems"}},
		{"bad HSA-id", func(u *User) { u.HSAID = "SE-1" }, []string{"/hsaId pattern"}},
		{"upper-case user name", func(u *User) { u.Username = "Asa" }, []string{"/username pattern"}},
		{"caseworker with units", func(u *User) { u.Role, u.HSAID, u.SigningRole = RoleCaseworker, "", "" }, []string{"/units notAllowed"}},
		{"valid coordinator", func(u *User) { u.Role, u.HSAID, u.SigningRole = RoleCoordinator, "", "" }, nil},
		{"coordinator without units", func(u *User) { u.Role, u.HSAID, u.SigningRole, u.Units = RoleCoordinator, "", "", nil }, []string{"/units minItems"}},
		{"clinic is no person's role", func(u *User) { u.Role = RoleClinic; u.Units = nil }, []string{"/role enum"}},
		{"a name of 200 characters", func(u *User) { u.Name = strings.Repeat("å", 200) }, nil},
		{"a name of 201 characters, a control character in the signing role", func(u *User) { u.Name, u.SigningRole = strings.Repeat("å", 201), "DOC\x01TOR" },
			[]string{"/name maxLength", "/signingRole invalidCharacter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := physician()
			tt.change(u)
			ps := CheckUser(u)
			if diff := cmp.Diff(tt.want, pointersAndCodes(ps)); diff != "" {
				t.Errorf("CheckUser() mismatch (-want +got):\n%s", diff)
			}
			for _, p := range ps {
				if p.Message == "" || p.MessageEn == "" || p.Message == p.MessageEn {
					t.Errorf("problem %+v lacks Swedish or English", p)
				}
			}
		})
	}
}

func TestCheckUnit(t *testing.T) {
	valid := func() *CareUnit {
		return &CareUnit{Unit: Unit{HSAID: "SE2321000016-7P0C", Name: "VC", Address: "Gatan 1", PostalCode: "114 59", City: "Stockholm", Phone: "08-1"},
			CareProvider: CareProvider{HSAID: "SE2321000016-0001", Name: "Region"}}
	}
	tests := []struct {
		name   string
		change func(u *CareUnit)
		want   []string
	}{
		{"valid", func(*CareUnit) {}, nil},
		{"empty", func(u *CareUnit) { *u = CareUnit{} }, []string{"/address required", "/careProvider/hsaId required", "/careProvider/name required",
			"/city required", "/hsaId required", "/name required", "/phone required", "/postalCode required"}},
		{"postal code without space", func(u *CareUnit) { u.PostalCode = "11459" }, []string{"/postalCode pattern"}},
		{"bad provider HSA-id", func(u *CareUnit) { u.CareProvider.HSAID = "region" }, []string{"/careProvider/hsaId pattern"}},
		{"texts at the limits a submission allows", func(u *CareUnit) {
			u.Name, u.Address, u.City, u.CareProvider.Name, u.Phone = strings.Repeat("V", 200), strings.Repeat("G", 200), strings.Repeat("S", 200), strings.Repeat("R", 200), strings.Repeat("0", 100)
		}, nil},
		{"texts over them", func(u *CareUnit) {
			u.Name, u.Address, u.City, u.CareProvider.Name, u.Phone = strings.Repeat("V", 201), strings.Repeat("G", 201), strings.Repeat("S", 201), strings.Repeat("R", 201), strings.Repeat("0", 101)
		}, []string{"/address maxLength", "/careProvider/name maxLength", "/city maxLength", "/name maxLength", "/phone maxLength"}},
		{"a control character", func(u *CareUnit) { u.Address = "Gatan\x00 1" }, []string{"/address invalidCharacter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := valid()
			tt.change(u)
			if diff := cmp.Diff(tt.want, pointersAndCodes(CheckUnit(u))); diff != "" {
				t.Errorf("CheckUnit() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckToken(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		t    Token
		want []string
	}{
		{"admin", Token{Role: RoleAdmin}, nil},
		{"clinic of units", Token{Role: RoleClinic, Units: []string{"SE2321000016-7P0C", "SE2321000016-9999"}}, nil},
		{"clinic of a care provider", Token{Role: RoleClinic, CareProvider: "SE2321000016-0001", ExpiresAt: now.Add(time.Hour)}, nil},
		{"unknown role", Token{Role: "root"}, []string{"/role enum"}},
		{"clinic of nothing", Token{Role: RoleClinic}, []string{"/units required"}},
		{"clinic of both", Token{Role: RoleClinic, Units: []string{"SE2321000016-7P0C"}, CareProvider: "SE2321000016-0001"}, []string{"/careProvider notAllowed"}},
		{"caseworker of a unit", Token{Role: RoleCaseworker, Units: []string{"SE2321000016-7P0C"}}, []string{"/units notAllowed"}},
		{"a unit twice, one malformed", Token{Role: RoleClinic, Units: []string{"SE2321000016-7P0C", "x", "SE2321000016-7P0C"}}, []string{"/units/1 pattern", "/units/2 duplicate"}},
		{"expired", Token{Role: RoleAdmin, ExpiresAt: now}, []string{"/expiresAt minimum"}},
		{"a long name", Token{Role: RoleAdmin, Name: strings.Repeat("n", 201)}, []string{"/name maxLength"}},
		{"a control character in the name", Token{Role: RoleAdmin, Name: "a\x01b"}, []string{"/name invalidCharacter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, pointersAndCodes(CheckToken(&tt.t, now))); diff != "" {
				t.Errorf("CheckToken() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidThrough(t *testing.T) {
	for _, tt := range []struct{ day, want string }{
		{"2027-01-31", "2027-01-31T23:00:00Z"}, // winter: UTC+1
		{"2027-06-30", "2027-06-30T22:00:00Z"}, // summer: UTC+2
	} {
		d, err := ParseDate(tt.day)
		if err != nil {
			t.Fatal(err)
		}
		if got := ValidThrough(d).Format(time.RFC3339); got != tt.want {
			t.Errorf("ValidThrough(%s) = %s, want %s", tt.day, got, tt.want)
		}
	}
}

// TestCheckSigningRole: a physician's signing role must be one that some
// template lets sign; other people's roles sign nothing and are not asked.
func TestCheckSigningRole(t *testing.T) {
	reg := schemas.MustLoadEmbedded()
	tests := []struct {
		name string
		user User
		want []string
	}{
		{"DOCTOR", User{Role: RolePhysician, SigningRole: "DOCTOR"}, nil},
		{"DENTIST", User{Role: RolePhysician, SigningRole: "DENTIST"}, nil},
		{"NURSE", User{Role: RolePhysician, SigningRole: "NURSE"}, []string{"/signingRole enum"}},
		{"lower case", User{Role: RolePhysician, SigningRole: "doctor"}, []string{"/signingRole enum"}},
		{"missing: CheckUser's", User{Role: RolePhysician}, nil},
		{"a coordinator", User{Role: RoleCoordinator, SigningRole: "NURSE"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, pointersAndCodes(CheckSigningRole(&tt.user, reg))); diff != "" {
				t.Errorf("CheckSigningRole() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
