package lokiwriter

import (
	"sync"
	"sync/atomic"
	"time"

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
// when the last reference goes, Destruct flushes for at most 5 s, after
// the old servers' last lines (see Destruct).
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

// Destruct flushes and closes the queue (bounded by its shutdown timeout)
// once nothing writes to it any more.
//
// A reload does not wait for the old config's servers to finish: Caddy
// stops them in the background and cleans the old config up at once, while
// their last requests are still being answered and logged. So on a reload
// the queue lingers: it keeps taking lines until none has come for
// lingerIdle (or a newer queue took its place, or lingerMax passed), then
// flushes. When the process exits, Caddy has waited for the servers
// already, and the queue closes at once.
func (p *pooledShipper) Destruct() error {
	if caddy.Exiting() {
		return p.close()
	}
	go p.linger(lingerIdle, lingerMax)
	return nil
}

// How long a released queue keeps taking the old servers' lines.
var (
	lingerIdle = 2 * time.Second
	lingerMax  = 5 * time.Minute
)

func (p *pooledShipper) linger(idle, most time.Duration) {
	deadline := time.Now().Add(most)
	tick := time.NewTicker(min(idle/4, 250*time.Millisecond))
	defer tick.Stop()
	for range tick.C {
		quiet := time.Since(p.Shipper.LastWrite()) >= idle
		if quiet || time.Now().After(deadline) || p.route.cur.Load() != p.Shipper {
			break
		}
	}
	_ = p.close()
}

func (p *pooledShipper) close() error {
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
