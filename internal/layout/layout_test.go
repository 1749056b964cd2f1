package layout

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/intyg/intyg/"

// allowed lists, per package, the module's packages it may import
// (directly or not): each only packages to its left in schemas → intake →
// store, render → web → cmd, with store and render apart.
var allowed = map[string][]string{
	"schemas":                 {},
	"intake":                  {"schemas"},
	"store":                   {"schemas", "intake"},
	"render":                  {"schemas", "intake"},
	"render/internal/mkfonts": {},
	"web":                     {"schemas", "intake", "render"},
	"cmd/intyg":               {"schemas", "intake", "store", "render", "web"},
	"cmd/intyg-load":          {"schemas", "intake", "store", "internal/pgtest"},
	"internal/pgtest":         {},
	"internal/layout":         {},
	// The peer benchmark (a command, run by hand) measures intake and render.
	"bench/peers": {"schemas", "intake", "render"},
}

// homes lists each third-party library (by import path prefix) and the only
// packages that may import it directly. Unicode normalisation is needed
// both where text is normalised (intake) and where glyphs are decomposed
// (render).
var homes = map[string][]string{
	"codeberg.org/go-pdf/fpdf":              {"render", "render/internal/mkfonts"},
	"github.com/piglig/go-qr":               {"render"},
	"github.com/klauspost/compress":         {"render"},
	"golang.org/x/image":                    {"render", "render/internal/mkfonts"},
	"github.com/santhosh-tekuri/jsonschema": {"intake"},
	"github.com/go-playground/validator":    {"intake"},
	"github.com/go-json-experiment/json":    {"intake", "bench/peers"},
	"golang.org/x/text/unicode/norm":        {"intake", "render"},
	"modernc.org/sqlite":                    {"store"},
	"github.com/goccy/go-json":              {"store"}, // records written fast (certInsert.encode)
	"modernc.org/libc":                      {"store"}, // the C runtime of modernc.org/sqlite, for the log VFS
	"github.com/pressly/goose":              {"store"},
	"github.com/jackc/pgx":                  {"store", "internal/pgtest"},
	"github.com/gorilla/mux":                {"web"},
	"github.com/prometheus/client_golang":   {"web"},
	"github.com/munnerz/goautoneg":          {"web"},
	"github.com/alexedwards/argon2id":       {"store"},
	"golang.org/x/time/rate":                {"web"},
	"golang.org/x/sys/unix":                 {"cmd/intyg"},
	"golang.org/x/term":                     {"cmd/intyg"},
	"golang.org/x/text/language":            {"web"},
	"golang.org/x/text/collate":             {"web"}, // names in Swedish order
	"github.com/coreos/go-oidc":             {"web"},
	"golang.org/x/oauth2":                   {"web"},
	"github.com/chromedp/chromedp":          {"bench/peers"},
	"github.com/chromedp/cdproto":           {"bench/peers"},
	"github.com/oauth2-proxy/mockoidc":      {},
	"github.com/golang-jwt/jwt":             {},
	"github.com/google/go-cmp":              {},
	"github.com/valyala/fasthttp":           {"cmd/intyg-load"},
}

// goList runs go list. The go files are read first, so that go test's
// cache (which does not see what a subprocess reads) reruns the test
// whenever a file of the module changes.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	readSources(t)
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

// TestImportDirection checks every package's dependencies (go list -deps,
// without tests) against the allowed direction, and that no package of the
// module is left out of the table.
func TestImportDirection(t *testing.T) {
	for _, pkg := range goList(t, module+"...") {
		name := strings.TrimPrefix(pkg, module)
		ok, known := allowed[name]
		if !known {
			t.Errorf("package %s is not in the layout table: add it with the packages it may import", name)
			continue
		}
		for _, dep := range goList(t, "-deps", pkg) {
			if !strings.HasPrefix(dep, module) || dep == pkg {
				continue
			}
			if d := strings.TrimPrefix(dep, module); !slices.Contains(ok, d) {
				t.Errorf("%s imports %s, against the import direction", name, d)
			}
		}
	}
}

// TestLibraryHomes checks that each third-party library is imported
// directly only by its home packages, and that no library is used without
// a home in the table.
func TestLibraryHomes(t *testing.T) {
	out := goList(t, "-f", `{{.ImportPath}}|{{join .Imports ","}}`, module+"...")
	for _, line := range out {
		pkg, imports, _ := strings.Cut(line, "|")
		name := strings.TrimPrefix(pkg, module)
		for _, imp := range strings.Split(imports, ",") {
			if imp == "" || strings.HasPrefix(imp, module) || !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				continue // ours, or the standard library
			}
			found := false
			for lib, pkgs := range homes {
				if strings.HasPrefix(imp, lib) {
					found = true
					if !slices.Contains(pkgs, name) {
						t.Errorf("%s imports %s, whose home is %v", name, imp, pkgs)
					}
				}
			}
			if !found {
				t.Errorf("%s imports %s, which has no home in the table", name, imp)
			}
		}
	}
}

func readSources(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir(filepath.Join("..", ".."), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") || d.Name() == "go.mod") {
			_, err = os.ReadFile(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
