package sitesadapter

import (
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp/headers"
)

func (b *builder) headerName(s *site, what string, v str) string {
	if v.v != "" && !validHeaderName(v.v) {
		b.errs.add(v.at, "site %q: %s: %q is not a header name", s.name, what, v.v)
	}
	return v.v
}

func (b *builder) headerOps(s *site, what string, h *headerOps) *headers.HeaderOps {
	ops := &headers.HeaderOps{}
	check := func(name string) {
		if !validHeaderName(name) {
			b.errs.add(h.At, "site %q: %s: %q is not a header name", s.name, what, name)
		}
	}
	for k, v := range h.Set {
		check(k)
		if ops.Set == nil {
			ops.Set = make(http.Header)
		}
		ops.Set[http.CanonicalHeaderKey(k)] = []string{b.expand(v)}
	}
	for k, v := range h.Add {
		check(k)
		if ops.Add == nil {
			ops.Add = make(http.Header)
		}
		ops.Add[http.CanonicalHeaderKey(k)] = []string{b.expand(v)}
	}
	for _, d := range h.Delete {
		if !validHeaderName(strings.Trim(d.v, "*")) {
			b.errs.add(d.at, "site %q: %s.delete: %q is not a header name", s.name, what, d.v)
		}
		ops.Delete = append(ops.Delete, d.v)
	}
	return ops
}
