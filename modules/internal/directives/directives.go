// Package directives places frontdoor's Caddyfile directives in Caddy's
// directive order, all of them at once and in one sequence, so that the
// order never depends on which module package Go initializes first.
//
// Every frontdoor module with a Caddyfile directive imports this package
// for its side effect. The order, first to last, ahead of every directive
// of Caddy's own (tracing, map, header, redir, rewrite, handle,
// reverse_proxy, respond, ...):
//
//	access_log        every response is logged, whoever answers it
//	trace_id          every response, rejected or not, has a trace id
//	visitor_info      country and device, for everything after it
//	throttle          limits cover every request (nginx's limit_req runs before return)
//	visitor_redirect  a visitor is sent to their own site before anything else
//	maintenance       a closed site queues nobody
//	waiting_room      guards only what is open
package directives

import "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"

// Order is frontdoor's directive order, first to last.
var Order = []string{
	"access_log",
	"trace_id",
	"visitor_info",
	"throttle",
	"visitor_redirect",
	"maintenance",
	"waiting_room",
}

func init() {
	// Each is inserted just before tracing, Caddy's first directive, so
	// they end up in the order of the list, ahead of all of Caddy's.
	for _, name := range Order {
		httpcaddyfile.RegisterDirectiveOrder(name, httpcaddyfile.Before, "tracing")
	}
}
