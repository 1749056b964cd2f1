package main

import (
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// buildVersion says which build this is, from what Go recorded in the
// binary: the module's version (a release tag, a pseudo-version naming
// the commit, or "(devel)"), the commit and its time, whether the work
// tree had changes, and Go's version. A build made with -buildvcs=false
// (or outside a repository) names no commit.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	s := map[string]string{}
	for _, kv := range bi.Settings {
		s[kv.Key] = kv.Value
	}
	parts := []string{bi.Main.Version}
	if r := s["vcs.revision"]; r != "" {
		commit := "commit " + r
		if s["vcs.modified"] == "true" {
			commit += " with uncommitted changes"
		}
		if t := s["vcs.time"]; t != "" {
			commit += " of " + t
		}
		parts = append(parts, commit)
	}
	return strings.Join(append(parts, bi.GoVersion), ", ")
}

// runVersion runs "intyg version".
func runVersion(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return exitUsage, helpAsked(err)
	}
	if fs.NArg() > 0 {
		return exitUsage, fmt.Errorf("version takes no arguments (got %q)", fs.Arg(0))
	}
	fmt.Fprintln(stdout, "intyg", buildVersion())
	return exitOK, nil
}
