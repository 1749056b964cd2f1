package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads a comma-separated list of addresses and
// networks ("10.0.0.5, 192.168.0.0/24") of the reverse proxies in front of
// the service.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, err
			}
			a = a.Unmap() // addresses are compared unmapped
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, err
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// clientAddress sets a request's RemoteAddr to its client's when it came
// through one of the trusted proxies: the last address in X-Forwarded-For
// that is not a trusted proxy's (the ones before it a client can write).
// The throttles, the lock-out and the access log then see the person's
// address, not the proxy's, which every client would share. Without
// trusted proxies the header is ignored, since anyone may send it.
func clientAddress(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	isTrusted := func(s string) bool {
		a, ok := hopAddr(s)
		if !ok {
			return false
		}
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil && isTrusted(host) {
			hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
			for i := len(hops) - 1; i >= 0; i-- {
				hop := strings.TrimSpace(hops[i])
				if hop == "" || isTrusted(hop) {
					continue
				}
				if a, ok := hopAddr(hop); ok {
					r2 := *r
					r2.RemoteAddr = netip.AddrPortFrom(a, 0).String()
					r = &r2
				}
				break
			}
		}
		next.ServeHTTP(w, r)
	})
}

// hopAddr reads one X-Forwarded-For entry: an address, with a port or
// without (some proxies write one), unmapped.
func hopAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(s)
	return a.Unmap(), err == nil
}
