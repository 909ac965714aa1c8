// Package hostdispatch implements the host_dispatch HTTP handler: many
// sites behind one handler, each request served by the routes of the site
// its Host names, found in a hash table (modules/internal/hostmatch)
// instead of a list of routes with host matchers tried one by one.
package hostdispatch

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/hostmatch"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Handler serves each request with the routes of the site whose hosts
// match its Host, as a route with a host matcher per site would, but
// found in constant time however many sites there are: exact names first,
// then wildcard patterns (a `*` label matches one label; of several
// matching patterns, the first site listed wins). Matching is that of
// Caddy's host matcher: case-insensitive (Unicode simple folding), the
// port and IPv6 brackets ignored, hosts converted to punycode when the
// config loads, a request's trailing dot kept (it does not match).
//
// A site's routes end the request, as a terminal route does: handlers
// after host_dispatch run only for a request whose host no site serves.
// Routes work as in a subroute (matchers, groups, terminal), compiled
// once when the config loads. Handlers with the same JSON, in any site,
// are provisioned once and shared, so that 10,000 sites with the same
// trace_id and visitor_info settings hold one of each; a handler that
// keeps state (a reverse_proxy's round robin, health checks) is shared by
// the sites that configure it identically, as it would be by the hosts of
// one Caddyfile site block.
//
// host_dispatch has no host matchers Caddy could read, so a server that
// relies on automatic HTTPS (certificates, HTTP->HTTPS redirects) or on
// per-host metrics also lists the hosts in a route's host matcher after
// it: the `sites` config adapter emits one that never matches.
type Handler struct {
	// Sites to dispatch to, each with the hosts it serves and its routes.
	// A host may belong to one site only.
	Sites []*Site `json:"sites,omitempty"`

	table hostmatch.Table
	sites []caddyhttp.Handler
}

// Site is one site of a host_dispatch handler.
type Site struct {
	// Hosts are the site's host names: exact names, IP addresses, or
	// patterns with `*` labels (as in Caddy's host matcher; placeholders
	// are not supported). At least one is required.
	Hosts []string `json:"hosts,omitempty"`

	// Routes handle the site's requests, as the routes of a subroute.
	Routes caddyhttp.RouteList `json:"routes,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.host_dispatch",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision builds the host table and compiles each site's routes.
func (h *Handler) Provision(ctx caddy.Context) error {
	c := &compiler{ctx: ctx, shared: make(map[string]caddyhttp.MiddlewareHandler)}
	h.sites = make([]caddyhttp.Handler, len(h.Sites))
	for i, s := range h.Sites {
		if s == nil || len(s.Hosts) == 0 {
			return fmt.Errorf("site %d has no hosts", i)
		}
		for _, host := range s.Hosts {
			if err := h.table.Add(host, i); err != nil {
				var dup *hostmatch.DuplicateError
				if errors.As(err, &dup) && dup.Value != i {
					return fmt.Errorf("site %d (%s): host %q is also a host of site %d (%s)", i, s.Hosts[0], host, dup.Value, h.Sites[dup.Value].Hosts[0])
				}
				return fmt.Errorf("site %d (%s): %v", i, s.Hosts[0], err)
			}
		}
		chain, err := c.compile(s.Routes)
		if err != nil {
			return fmt.Errorf("site %d (%s): %v", i, s.Hosts[0], err)
		}
		h.sites[i] = chain
	}
	// The compiled chains are all that is needed from here on; the decoded
	// config would only hold memory (Caddy keeps the config's JSON).
	h.Sites = nil
	return nil
}

// ServeHTTP serves r with the routes of the site its host names, or passes
// it to next when no site serves that host.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if i, ok := h.table.Lookup(hostmatch.HostOf(r.Host)); ok {
		return h.sites[i].ServeHTTP(w, r)
	}
	return next.ServeHTTP(w, r)
}

// compiler provisions the sites' routes, sharing handlers with identical
// JSON, and compiles them into handler chains.
type compiler struct {
	ctx    caddy.Context
	shared map[string]caddyhttp.MiddlewareHandler // by the handler's JSON
}

// compile provisions routes and chains them as a terminal subroute: a
// request that no route ends reaches end.
func (c *compiler) compile(routes caddyhttp.RouteList) (caddyhttp.Handler, error) {
	next := end
	for i := len(routes) - 1; i >= 0; i-- {
		rt := &routes[i]
		if err := rt.ProvisionMatchers(c.ctx); err != nil {
			return nil, fmt.Errorf("route %d: %v", i, err)
		}
		handlers := make([]caddyhttp.MiddlewareHandler, 0, len(rt.HandlersRaw))
		for j, raw := range rt.HandlersRaw {
			mh, err := c.handler(raw)
			if err != nil {
				return nil, fmt.Errorf("route %d, handler %d: %v", i, j, err)
			}
			handlers = append(handlers, mh)
		}
		rt.HandlersRaw = nil
		next = compileRoute(rt.MatcherSets, rt.Group, rt.Terminal, handlers, next)
	}
	return next, nil
}

// handler loads the handler module of raw, or returns the one loaded
// before from the same JSON.
func (c *compiler) handler(raw json.RawMessage) (caddyhttp.MiddlewareHandler, error) {
	if mh, ok := c.shared[string(raw)]; ok {
		return mh, nil
	}
	name, config, err := moduleConfig(raw)
	if err != nil {
		return nil, err
	}
	mod, err := c.ctx.LoadModuleByID("http.handlers."+name, config)
	if err != nil {
		return nil, err
	}
	mh, ok := mod.(caddyhttp.MiddlewareHandler)
	if !ok {
		return nil, fmt.Errorf("module http.handlers.%s is not an HTTP handler", name)
	}
	c.shared[string(raw)] = mh
	return mh, nil
}

// moduleConfig splits a handler's JSON into its module name (the
// "handler" key) and its configuration: the JSON without that key and
// without "@id", as Caddy's own loading passes it to the module. raw is
// part of a config Caddy has decoded: valid JSON.
func moduleConfig(raw json.RawMessage) (name string, config json.RawMessage, err error) {
	bad := func() (string, json.RawMessage, error) {
		return "", nil, fmt.Errorf("a handler is a JSON object with a \"handler\" name: %s", raw)
	}
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return bad()
	}
	config = make(json.RawMessage, 0, len(raw))
	config = append(config, '{')
	for i = skipSpace(raw, i+1); i < len(raw) && raw[i] != '}'; {
		ks := i
		i = skipValue(raw, i)
		key := raw[ks:i]
		if i = skipSpace(raw, i); i >= len(raw) || raw[i] != ':' {
			return bad()
		}
		vs := skipSpace(raw, i+1)
		i = skipValue(raw, vs)
		switch string(key) {
		case `"handler"`:
			if err := json.Unmarshal(raw[vs:i], &name); err != nil {
				return bad()
			}
		case `"@id"`:
		default:
			if len(config) > 1 {
				config = append(config, ',')
			}
			config = append(config, key...)
			config = append(config, ':')
			config = append(config, raw[vs:i]...)
		}
		if i = skipSpace(raw, i); i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	if name == "" {
		return bad()
	}
	return name, append(config, '}'), nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value that starts at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		for i++; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return i
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			case '"':
				i = skipValue(b, i) - 1
			}
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
}

// compileRoute chains a route's handlers in front of next (the following
// route), or in front of end when the route is terminal, behind the
// route's matchers and group, as Caddy's own route compilation does on
// each request.
func compileRoute(matchers caddyhttp.MatcherSets, group string, terminal bool, handlers []caddyhttp.MiddlewareHandler, next caddyhttp.Handler) caddyhttp.Handler {
	chain := next
	if terminal {
		chain = end
	}
	for i := len(handlers) - 1; i >= 0; i-- {
		chain = link(handlers[i], chain)
	}
	if len(matchers) == 0 && group == "" {
		return chain
	}
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		var groups map[string]struct{}
		if group != "" {
			groups, _ = r.Context().Value(routeGroupKey).(map[string]struct{})
			if _, done := groups[group]; done {
				return next.ServeHTTP(w, r)
			}
		}
		match, err := matchers.AnyMatchWithError(r)
		if err != nil {
			return err
		}
		if !match {
			return next.ServeHTTP(w, r)
		}
		if groups != nil {
			groups[group] = struct{}{}
		}
		return chain.ServeHTTP(w, r)
	})
}

func link(mh caddyhttp.MiddlewareHandler, next caddyhttp.Handler) caddyhttp.Handler {
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return mh.ServeHTTP(w, r, next)
	})
}

// routeGroupKey is the request context key of Caddy's route groups (the
// value of caddyhttp's unexported routeGroupCtxKey).
const routeGroupKey caddy.CtxKey = "route_group"

// end is what a site's request reaches when no handler answered it: as
// the end of a terminal Caddy route, it marks the request unhandled (the
// access log says "NOP"), or, in an error route, writes the error's
// status.
var end caddyhttp.Handler = caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
	if err, ok := r.Context().Value(caddyhttp.ErrorCtxKey).(error); ok {
		if he, ok := err.(caddyhttp.HandlerError); ok {
			w.WriteHeader(he.StatusCode)
		} else {
			w.WriteHeader(http.StatusInternalServerError)
		}
		return nil
	}
	caddyhttp.SetVar(r.Context(), "unhandled", true)
	return nil
})

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
