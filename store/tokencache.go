package store

import (
	"sync"
	"time"

	"github.com/intyg/intyg/intake"
)

// tokenCacheTTL is how long a verified token (and the units it covers) is
// kept without asking the database again. A revocation or a unit disabled
// in this process takes effect at once (the cache is emptied); one made by
// another process sharing the database (intyg token revoke, a second
// server) within tokenRecheck, when a cheap read of the revocations and
// the disabled units finds it (accessChanges). A unit registered or
// enabled elsewhere shows within the TTL.
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
	// checked is when the revocations and disabled units were last read,
	// and changes what was read; anything else read empties the cache.
	checked time.Time
	changes accessChanges
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

// due reports whether the revocations and disabled units should be read
// again, and claims the read (others keep using the cache meanwhile).
func (c *tokenCache) due() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) == 0 || time.Since(c.checked) < tokenRecheck {
		return false
	}
	c.checked = time.Now()
	return true
}

// accessChanges is what another process's revocation of a token, or its
// disabling of a unit, changes: the tokens revoked (a token is never
// un-revoked nor deleted), and the units disabled and the last time one
// was (so that one unit disabled as another is enabled changes it too).
type accessChanges struct {
	revoked, disabledUnits int64
	lastDisabled           string
}

// changed records the changes read at or after at; a change empties the
// cache.
func (c *tokenCache) changed(a accessChanges, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a != c.changes {
		c.m = nil
		c.gen++
	}
	c.changes, c.checked = a, at
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
