package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// cliPassword passes the password rules.
const cliPassword = "korrekt häst batteri häftklammer"

var unitFlags = []string{"--hsa-id", "SE2321000016-7P0C", "--name", "Vårdcentralen Östermalm", "--address", "Karlavägen 10",
	"--postal-code", "114 59", "--city", "Stockholm", "--phone", "08-123 45 67", "--workplace-code", "1234567890",
	"--care-provider-hsa-id", "SE2321000016-0001", "--care-provider-name", "Region Stockholm"}

// TestPeopleCommands registers a unit, people and tokens through the
// commands, in order, and checks each answer: exit code and what it says.
func TestPeopleCommands(t *testing.T) {
	data := t.TempDir()
	d := []string{"--data", data}
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout []string // each must be in stdout
		stderr []string // each must be in stderr
	}{
		{"unit add", "", append(append([]string{"unit", "add"}, d...), unitFlags...), exitOK, []string{"unit SE2321000016-7P0C (Vårdcentralen Östermalm) registered"}, nil},
		{"unit add again", "", append(append([]string{"unit", "add"}, d...), unitFlags...), exitRefused, nil, []string{"already registered", "--hsa-id: "}},
		{"unit add missing fields", "", append([]string{"unit", "add", "--hsa-id", "SE2321000016-9999", "--postal-code", "11459"}, d...), exitRefused, nil,
			[]string{"--name: ", "--postal-code: Give the postal code as NNN NN.", "--care-provider-hsa-id: "}},
		{"unit list", "", append([]string{"unit", "list"}, d...), exitOK, []string{"SE2321000016-7P0C", "Vårdcentralen Östermalm", "Region Stockholm", "active"}, nil},
		{"user add physician, password on stdin", cliPassword + "\n",
			append([]string{"user", "add", "asa", "--role", "physician", "--name", "Åsa Lindberg", "--hsa-id", "SE2321000016-1003", "--signing-role", "DOCTOR",
				"--prescriber-code", "1234567", "--speciality", "Allmänmedicin", "--speciality", "Geriatrik", "--unit", "SE2321000016-7P0C"}, d...),
			exitOK, []string{"user asa (Åsa Lindberg, physician) created"}, nil},
		{"user add admin, stdin without newline", cliPassword, append([]string{"user", "add", "dan", "--role", "admin", "--name", "Dan Admin"}, d...), exitOK, []string{"user dan"}, nil},
		{"user add weak password", "password123\n", append([]string{"user", "add", "cia", "--role", "caseworker", "--name", "Cia"}, d...), exitRefused, nil, []string{"  password: "}},
		{"user add no password", "", append([]string{"user", "add", "cia", "--role", "caseworker", "--name", "Cia"}, d...), exitUsage, nil, []string{"no password"}},
		{"user add physician without unit", cliPassword + "\n", append([]string{"user", "add", "bo", "--role", "physician", "--name", "Bo", "--hsa-id", "SE2321000016-1004"}, d...),
			exitRefused, nil, []string{"--signing-role: ", "--unit: Physicians and rehabilitation coordinators need at least one unit."}},
		{"user add a signing role that cannot sign", cliPassword + "\n", append([]string{"user", "add", "gus", "--role", "physician", "--name", "Gus", "--hsa-id", "SE2321000016-1005",
			"--signing-role", "NURSE", "--unit", "SE2321000016-7P0C"}, d...), exitRefused, nil, []string{"--signing-role: ", "DOCTOR, PRIVATE_DOCTOR, DENTIST"}},
		{"user add unknown unit", cliPassword + "\n", append([]string{"user", "add", "bo", "--role", "physician", "--name", "Bo", "--hsa-id", "SE2321000016-1004",
			"--signing-role", "DOCTOR", "--unit", "SE2321000016-0000"}, d...), exitRefused, nil, []string{"--unit: "}},
		{"user add taken name", cliPassword + "\n", append([]string{"user", "add", "dan", "--role", "admin", "--name", "Dan Again"}, d...), exitRefused, nil, []string{"already in use"}},
		{"user add bad role", "", append([]string{"user", "add", "eva", "--role", "root", "--name", "Eva"}, d...), exitRefused, nil, []string{"--role: "}},
		{"user add without name argument", "", append([]string{"user", "add", "--role", "admin", "--name", "X"}, d...), exitUsage, nil, []string{"usage"}},
		{"user list", "", append([]string{"user", "list"}, d...), exitOK, []string{"asa", "Åsa Lindberg", "physician", "SE2321000016-1003", "SE2321000016-7P0C", "dan", "admin"}, nil},
		{"user password weak", "short\n", append([]string{"user", "password", "asa"}, d...), exitRefused, nil, []string{"  password: "}},
		{"user password", "ett annat långt lösenord\n", append([]string{"user", "password", "asa"}, d...), exitOK, []string{"password of asa changed"}, nil},
		{"user disable", "", append([]string{"user", "disable", "dan"}, d...), exitOK, []string{"user dan disabled"}, nil},
		{"user disable unknown", "", append([]string{"user", "disable", "nobody"}, d...), exitRefused, nil, []string{"not found"}},
		{"user list shows disabled", "", append([]string{"user", "list"}, d...), exitOK, []string{"disabled"}, nil},
		{"token create several units", "", append([]string{"token", "create", "--role", "clinic", "--unit", "SE2321000016-7P0C", "--unit", "SE2321000016-9999",
			"--expires", "2099-12-31", "--name", "Journal"}, d...), exitOK, []string{"units SE2321000016-7P0C SE2321000016-9999", "works through 2099-12-31", "intyg_"},
			[]string{"warning: unit SE2321000016-9999 is not registered"}},
		{"token create care provider", "", append([]string{"token", "create", "--role", "clinic", "--care-provider", "SE2321000016-0001", "--name", "Regionens journal"}, d...),
			exitOK, []string{"care provider SE2321000016-0001"}, nil},
		{"token create care provider without units", "", append([]string{"token", "create", "--role", "clinic", "--care-provider", "SE2321000016-0002"}, d...),
			exitOK, []string{"care provider SE2321000016-0002"}, []string{"warning: no enabled unit is registered under care provider SE2321000016-0002"}},
		{"token create past expiry", "", append([]string{"token", "create", "--role", "caseworker", "--expires", "2001-01-01"}, d...), exitRefused, nil, []string{"--expires: "}},
		{"token create bad expiry", "", append([]string{"token", "create", "--role", "caseworker", "--expires", "tomorrow"}, d...), exitUsage, nil, []string{"--expires"}},
		{"token create units and provider", "", append([]string{"token", "create", "--role", "clinic", "--unit", "SE2321000016-7P0C", "--care-provider", "SE2321000016-0001"}, d...),
			exitRefused, nil, []string{"--care-provider: "}},
		{"token list", "", append([]string{"token", "list"}, d...), exitOK, []string{"Journal", "SE2321000016-7P0C SE2321000016-9999", "care provider SE2321000016-0001", "LAST DAY", "2099-12-31"}, nil},
		{"token revoke unknown", "", append([]string{"token", "revoke", "nosuchtoken"}, d...), exitRefused, nil, []string{"No live token"}},
		{"unknown user subcommand", "", []string{"user", "remove", "asa"}, exitUsage, nil, []string{"usage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout %q does not say %q", stdout, want)
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q does not say %q", stderr, want)
				}
			}
			if code == exitOK && strings.Count(stderr, "warning") != len(tt.stderr) {
				t.Errorf("stderr %q: want %d warnings", stderr, len(tt.stderr))
			}
			if strings.Contains(stdout+stderr, cliPassword) {
				t.Errorf("the password was printed")
			}
		})
	}

	// What the commands made is what the store holds: the physician signs
	// in with the changed password, the admin is disabled, the list never
	// shows a token's secret.
	db, err := store.Open(context.Background(), store.SQLite, data+"/intyg.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, err := db.Authenticate(context.Background(), "asa", "ett annat långt lösenord", "127.0.0.1")
	if err != nil {
		t.Fatalf("asa cannot sign in with the new password: %v", err)
	}
	if u.SigningRole != "DOCTOR" || u.PrescriberCode != "1234567" || len(u.Specialities) != 2 || len(u.Units) != 1 {
		t.Errorf("stored physician = %+v", u)
	}
	if dan, err := db.FindUserByUsername(context.Background(), "dan"); err != nil || dan.DisabledAt.IsZero() {
		t.Errorf("dan = %+v, %v; want disabled", dan, err)
	}
	_, list, _ := runCmd(t, "", append([]string{"token", "list"}, d...)...)
	if strings.Contains(list, "intyg_") {
		t.Errorf("token list shows a secret: %s", list)
	}
	tokens, _ := db.FindTokens(context.Background())
	_, out, _ := runCmd(t, "", append([]string{"token", "revoke", tokens[0].ID}, d...)...)
	if _, list, _ = runCmd(t, "", append([]string{"token", "list"}, d...)...); !strings.Contains(out, "revoked") || strings.Count(list, "\n") != 1+len(tokens) {
		t.Errorf("revoke: %q; list after it:\n%s", out, list)
	}

	// Every change is in the access log, naming the operating-system user
	// who ran the command (written before the change, so one the store
	// then refused is there too: the unit registered twice, a physician at
	// an unknown unit, a name taken).
	entries, _, err := db.FindAuditEntries(context.Background(), intake.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name, " (command line)") || !strings.HasPrefix(e.RemoteAddr, "command line on ") {
			t.Errorf("entry %+v does not name who ran the command where", e)
		}
		got[e.Action+" "+strings.SplitN(e.Query, "=", 2)[0]]++
	}
	for action, n := range map[string]int{"admin.unit.create unit": 2, "admin.user.create username": 4, "admin.user.password user": 1,
		"admin.user.disable user": 1, "admin.token.create token": 3, "admin.token.revoke token": 2} {
		if got[action] != n {
			t.Errorf("%d %s entries, want %d (all: %v)", got[action], action, n, got)
		}
	}
}

// TestCommandsNeedTheAccessLog: while the access log takes no admin entry
// (a trigger in the SQLite file refuses them), no command changes
// anything: a person is not disabled, and a token made before its entry
// failed is revoked, its secret never printed.
func TestCommandsNeedTheAccessLog(t *testing.T) {
	data := t.TempDir()
	d := []string{"--data", data}
	if code, _, stderr := runCmd(t, cliPassword+"\n", append([]string{"user", "add", "dan", "--role", "admin", "--name", "Dan Admin"}, d...)...); code != exitOK {
		t.Fatalf("user add: %s", stderr)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(data, "intyg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TRIGGER refuse_admin BEFORE INSERT ON audit_log WHEN NEW.action LIKE 'admin.%'
		BEGIN SELECT RAISE(ABORT, 'the access log takes no entry'); END`); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(t, "", append([]string{"token", "create", "--role", "admin", "--name", "Bakdörren"}, d...)...); code == exitOK || strings.Contains(out, "intyg_") {
		t.Errorf("token create while the log refuses: exit %d, %q", code, out)
	}
	if code, _, _ := runCmd(t, "", append([]string{"user", "disable", "dan"}, d...)...); code == exitOK {
		t.Errorf("user disable while the log refuses: exit 0")
	}
	db, err := store.Open(context.Background(), store.SQLite, filepath.Join(data, "intyg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if dan, _ := db.FindUserByUsername(context.Background(), "dan"); !dan.DisabledAt.IsZero() {
		t.Error("dan was disabled")
	}
	tokens, _ := db.FindTokens(context.Background())
	for _, tok := range tokens {
		if tok.RevokedAt.IsZero() {
			t.Errorf("token %s (%s) works though its making was not logged", tok.ID, tok.Name)
		}
	}
}
