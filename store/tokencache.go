package store

import (
	"sync"
	"time"

	"github.com/intyg/intyg/intake"
)

// tokenCacheTTL is how long a verified token (and the units it covers) is
// kept without asking the database again. A revocation in this process
// takes effect at once (RevokeToken empties the cache); one made by another
// process sharing the database (intyg token revoke, a second server) within
// tokenRecheck, when a cheap count of the revocations finds it. A
// change to a care provider's units made elsewhere shows within the TTL.
const (
	tokenCacheTTL = 10 * time.Second
	tokenRecheck  = time.Second
)

// tokenCache keeps recently verified tokens by the hash of their secret,
// so that a request does not cost a token query (and a units query).
type tokenCache struct {
	mu  sync.Mutex
	m   map[string]cachedToken
	ttl time.Duration // tokenCacheTTL; tests shorten it
	// checked is when the revocations were last counted, and revocations
	// how many there were; another count empties the cache.
	checked     time.Time
	revocations int64
	// gen counts the emptyings: a token read from the database before
	// one (a revocation committing meanwhile) is not put back after it.
	gen uint64
}

// generation is the cache's before a token is read from the database, for
// put.
func (c *tokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// due reports whether the revocations should be counted again, and
// claims the read (others keep using the cache meanwhile).
func (c *tokenCache) due() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) == 0 || time.Since(c.checked) < tokenRecheck {
		return false
	}
	c.checked = time.Now()
	return true
}

// revoked records the count of revocations read at or after at; a change
// empties the cache.
func (c *tokenCache) revoked(n int64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n != c.revocations {
		c.m = nil
		c.gen++
	}
	c.revocations, c.checked = n, at
}

type cachedToken struct {
	token   intake.Token
	fetched time.Time // by the wall clock, not DB.Now, which tests replace
}

// get returns a copy of the token cached under hash, if fresh.
func (c *tokenCache) get(hash string) (*intake.Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	ttl := c.ttl
	if ttl == 0 {
		ttl = tokenCacheTTL
	}
	if !ok || time.Since(e.fetched) >= ttl {
		return nil, false
	}
	t := e.token
	t.Units = append([]string(nil), e.token.Units...)
	return &t, true
}

// put caches t, read from the database at generation gen, unless the
// cache was emptied since: the read may be older than a revocation.
func (c *tokenCache) put(hash string, t *intake.Token, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= 10_000 {
		c.m = map[string]cachedToken{} // bounded: start again rather than grow
	}
	e := cachedToken{token: *t, fetched: time.Now()}
	e.token.Units = append([]string(nil), t.Units...)
	c.m[hash] = e
}

// setLastUsed notes a recorded use, so that the next request within the
// grain does not write it again.
func (c *tokenCache) setLastUsed(hash string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[hash]; ok {
		e.token.LastUsedAt = at
		c.m[hash] = e
	}
}

// clear forgets every token: after a revocation, or a change to the units
// a token covers.
func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
	c.gen++
}

// empty reports whether no token is cached.
func (c *tokenCache) empty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m) == 0
}
