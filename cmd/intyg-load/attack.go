package main

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// request is one submission to post.
type request struct {
	kind   byte // kindValid, kindInvalid or kindReplay
	n      int  // the submission's number (a replay's: the original's)
	server int  // index into the generator's servers
	body   []byte
	key    string // its Idempotency-Key
}

// result is what one request was answered.
type result struct {
	kind     byte
	n        int
	code     int    // the HTTP status; 0 if there was no answer
	err      string // why there was none
	body     []byte
	replayed bool // Idempotent-Replayed: true
	latency  time.Duration
	end      time.Time
}

// attack posts the generator's requests for d from clients workers, each
// one request at a time on a connection of its own, kept alive, and sends
// each answer on the channel it returns, which it closes when the last is
// in. It stops early when ctx ends.
//
// The client is github.com/valyala/fasthttp's, which writes a request and
// reads its answer on the caller's goroutine. net/http's client (under
// vegeta, before) hands each to two goroutines of the connection: the tool
// cost the machine it shares with the servers it measures about 125 µs of
// CPU a request, and now about 87 (intyg-load -db sqlite, three pairs).
func attack(ctx context.Context, g *generator, clients int, d time.Duration) <-chan result {
	client := &fasthttp.Client{
		MaxConnsPerHost:               clients,
		ReadTimeout:                   30 * time.Second,
		WriteTimeout:                  30 * time.Second,
		NoDefaultUserAgentHeader:      true,
		DisableHeaderNamesNormalizing: true,
	}
	results := make(chan result, clients)
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				r := g.next()
				req.Reset()
				req.Header.SetMethod(fasthttp.MethodPost)
				req.SetRequestURI(g.servers[r.server] + "/api/v1/certificates")
				req.Header.Set("Authorization", "Bearer "+g.token)
				req.Header.SetContentType("application/json")
				req.Header.Set("Idempotency-Key", r.key)
				req.SetBodyRaw(r.body)
				start := time.Now()
				err := client.DoTimeout(req, resp, 30*time.Second)
				res := result{kind: r.kind, n: r.n, end: time.Now()}
				res.latency = res.end.Sub(start)
				if err != nil {
					res.err = err.Error()
				} else {
					res.code = resp.StatusCode()
					res.body = bytes.Clone(resp.Body())
					res.replayed = string(resp.Header.Peek("Idempotent-Replayed")) == "true"
				}
				results <- res
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	return results
}
