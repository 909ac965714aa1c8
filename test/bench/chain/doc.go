// Package chain benchmarks the per-request cost of frontdoor's handlers as
// Caddy runs them: a config is loaded into an in-process Caddy and requests
// go straight to its HTTP server's ServeHTTP, with no network, and a
// terminal `respond` standing in for the upstream. The difference between
// the "bare" benchmark and the others is what the features add per request.
package chain
