//go:build !linux

package main

// fdIsTerminal reports false where Intyg does not know how to ask: the first
// admin token then goes to a file, which is the safe side.
func fdIsTerminal(fd uintptr) bool { return false }
