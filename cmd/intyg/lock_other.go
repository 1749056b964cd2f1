//go:build !unix

package main

// lockDataDir does nothing where Intyg does not know how to lock a file:
// run one intyg serve on an SQLite database.
func lockDataDir(string) (func(), error) { return func() {}, nil }
