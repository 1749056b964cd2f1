package web

import (
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// swedishOrder returns a comparison of names as a Swedish reader sorts
// them: å, ä, ö after z and in that order, é with e, and case aside. A
// collator keeps state, so each list being sorted asks for its own.
func swedishOrder() func(a, b string) int {
	c := collate.New(language.Swedish, collate.IgnoreCase)
	return c.CompareString
}
