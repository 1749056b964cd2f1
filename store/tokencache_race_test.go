package store

import (
	"testing"

	"github.com/intyg/intyg/intake"
)

// TestTokenCacheKeepsNoReadFromBeforeARevocation: a request that read a
// token just before a revocation committed (and emptied the cache) does
// not put it back afterwards, where it would be accepted until the next
// count of the revocations; one read after is kept.
func TestTokenCacheKeepsNoReadFromBeforeARevocation(t *testing.T) {
	for name, empty := range map[string]func(c *tokenCache){
		"revoked here":      func(c *tokenCache) { c.clear() },
		"revoked elsewhere": func(c *tokenCache) { c.changed(accessChanges{revoked: 1}, c.checked) },
	} {
		var c tokenCache
		read := c.generation() // the request reads the token, not yet revoked
		empty(&c)              // the revocation commits
		c.put("hash", &intake.Token{ID: "t1"}, read)
		if _, ok := c.get("hash"); ok {
			t.Errorf("%s: the token read before the revocation was cached after it", name)
		}
		c.put("hash", &intake.Token{ID: "t1"}, c.generation())
		if _, ok := c.get("hash"); !ok {
			t.Errorf("%s: a token read after the revocation was not cached", name)
		}
	}
}
