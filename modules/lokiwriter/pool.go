package lokiwriter

import (
	"sync"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/loki"
)

// Lifecycle of the queues.
//
// Caddy keeps the writers that OpenWriter returns in a pool of its own,
// keyed by WriterKey, but in Caddy v2.11 it never releases them: the
// config's OnCancel hook that would close them is registered on a copy of
// the config context and does not run. A queue that relied on Close would
// never flush on reload or shutdown.
//
// So the queues live in shippers, a caddy.UsagePool keyed by WriterKey:
// every provisioned Writer holds one reference and releases it in Cleanup
// (or when its config context ends, whichever comes first). A reload with
// the same settings provisions the new config's Writer before the old
// config is cleaned up, so the queue is shared and nothing queued is lost;
// when the last reference goes, Destruct flushes for at most 5 s.
//
// What OpenWriter returns is a route: a stable per-key forwarder to the
// key's current queue, because Caddy may hand that same writer to a later
// config after the queue it first pointed to was closed.
var (
	shippers = caddy.NewUsagePool()
	routes   sync.Map // WriterKey -> *route
)

// pooledShipper is a queue in the shippers pool.
type pooledShipper struct {
	*loki.Shipper
	route *route
}

// Destruct flushes and closes the queue (bounded by its shutdown timeout).
func (p *pooledShipper) Destruct() error {
	p.route.cur.CompareAndSwap(p.Shipper, nil)
	return p.Shipper.Close()
}

// route forwards writes to the current queue of one WriterKey.
type route struct {
	cur atomic.Pointer[loki.Shipper]
}

func routeFor(key string) *route {
	r, _ := routes.LoadOrStore(key, new(route))
	return r.(*route)
}

// Write queues p on the current queue; with none (no config uses this
// writer any more) the entry is dropped and counted.
func (r *route) Write(p []byte) (int, error) {
	if s := r.cur.Load(); s != nil {
		return s.Write(p)
	}
	stats.CountDropped(1)
	return len(p), nil
}

// Close does nothing: queues are closed when no config uses them.
func (r *route) Close() error { return nil }

// acquire takes a reference to the queue for cfg under key, starting it if
// needed, and returns the function that releases it (once).
func acquire(key string, cfg loki.Config) (release func(), err error) {
	r := routeFor(key)
	val, _, err := shippers.LoadOrNew(key, func() (caddy.Destructor, error) {
		s, err := loki.New(cfg)
		if err != nil {
			return nil, err
		}
		return &pooledShipper{Shipper: s, route: r}, nil
	})
	if err != nil {
		return nil, err
	}
	r.cur.Store(val.(*pooledShipper).Shipper)
	var once sync.Once
	return func() {
		once.Do(func() { _, _ = shippers.Delete(key) })
	}, nil
}

// Interface guards
var (
	_ caddy.Destructor = (*pooledShipper)(nil)
)
