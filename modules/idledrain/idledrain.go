// Package idledrain is the listener wrapper caddy.listeners.idle_drain: on
// a config reload, the plain-HTTP keep-alive connections of the old server
// are handed to the new one instead of being cut.
//
// On a reload Caddy starts the new server on the same address, then shuts
// the old one down, which closes its idle keep-alive connections at once.
// A client may be sending its next request on such a connection at that
// very moment: the request is lost and the client sees a read error.
// Browsers and Go's net/http retry an idempotent request once in that case;
// wrk, many HTTP libraries, and proxies in front of the gateway do not, and
// a POST is never retried. A request that the old server read just after
// its shutdown began is dropped the same way (net/http serves no request
// once shutting down).
//
// With this wrapper, when the shutting-down server closes a connection
// that waits for its next request, or that holds a request it did not
// answer, the connection is handed to the newest server on the same
// address, with the bytes of that request replayed, as if the client had
// just connected: the request is answered by the new config, and the
// connection stays alive. A request that a handler has seen is never
// replayed. Connections closed in any other situation (after a response
// with Connection: close, on timeouts, on errors, upgraded connections),
// and all connections when no newer server listens on the address (a stop,
// or a reload that removed the address), are closed as before.
//
// On Linux each generation listens on a socket of its own (SO_REUSEPORT),
// and the kernel resets the connections still queued on a socket that
// closes. Once a newer generation listens, the old socket therefore stays
// open a moment after its server closed it, and what it accepts goes to
// the newer server.
//
// It applies to plain HTTP/1: with TLS the session cannot move between
// servers (HTTP/2 clients get a graceful GOAWAY anyway), so TLS connections
// pass through untouched, and the wrapper is harmless on an HTTPS server.
// Pipelined requests
// already buffered behind an answered one are not replayed.
package idledrain

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func init() {
	caddy.RegisterModule(Wrapper{})
}

// Wrapper hands the idle keep-alive connections of a shutting-down server
// to its successor on the same address. Use it on plain-HTTP servers; it
// has no options.
type Wrapper struct{}

// CaddyModule returns the Caddy module information.
func (Wrapper) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "caddy.listeners.idle_drain",
		New: func() caddy.Module { return new(Wrapper) },
	}
}

// WrapListener wraps ln.
func (w *Wrapper) WrapListener(ln net.Listener) net.Listener {
	return newListener(ln)
}

// UnmarshalCaddyfile sets up the wrapper from Caddyfile tokens:
//
//	idle_drain
func (w *Wrapper) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume wrapper name
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

// hubs joins the generations of wrapped listeners on one address (the old
// config's and the new one's during a reload), keyed by address.
var hubs = caddy.NewUsagePool()

type hub struct {
	mu        sync.Mutex
	listeners []*listener // oldest first
}

func (h *hub) Destruct() error { return nil }

// successor returns the newest listener on the address that is not
// shutting down, or nil. h.mu is held.
func (h *hub) successor() *listener {
	for i := len(h.listeners) - 1; i >= 0; i-- {
		if l := h.listeners[i]; !l.closing.Load() {
			return l
		}
	}
	return nil
}

// remove takes l out of the hub. h.mu is held.
func (h *hub) remove(l *listener) {
	for i, x := range h.listeners {
		if x == l {
			h.listeners = append(h.listeners[:i], h.listeners[i+1:]...)
			return
		}
	}
}

type listener struct {
	net.Listener
	key string
	hub *hub

	closing  atomic.Bool
	closedAt atomic.Pointer[time.Time] // when Close was first called
	accepted chan acceptResult
	handed   chan net.Conn // connections handed over by an older generation
	done     chan struct{}
	once     sync.Once
}

type acceptResult struct {
	c   net.Conn
	err error
}

func newListener(ln net.Listener) *listener {
	l := &listener{
		Listener: ln,
		key:      ln.Addr().Network() + "/" + ln.Addr().String(),
		accepted: make(chan acceptResult),
		handed:   make(chan net.Conn, 256),
		done:     make(chan struct{}),
	}
	v, _, _ := hubs.LoadOrNew(l.key, func() (caddy.Destructor, error) { return new(hub), nil })
	l.hub = v.(*hub)
	l.hub.mu.Lock()
	l.hub.listeners = append(l.hub.listeners, l)
	l.hub.mu.Unlock()
	go l.pump()
	return l
}

// pump accepts from the socket until the socket closes. Once the server
// has closed the listener, what the socket still accepts goes to the newest
// generation on the address. A temporary error (too many open files) goes
// to the server, which backs off and accepts again, and the pump goes on.
func (l *listener) pump() {
	for {
		c, err := l.Listener.Accept()
		select {
		case l.accepted <- acceptResult{c, err}:
		case <-l.done:
			if c != nil {
				l.pass(c)
			}
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne interface{ Temporary() bool }
			if errors.As(err, &ne) && ne.Temporary() {
				continue
			}
			var te net.Error
			if errors.As(err, &te) && te.Timeout() {
				continue
			}
			return
		}
	}
}

func (l *listener) Accept() (net.Conn, error) {
	var c net.Conn
	select {
	case r := <-l.accepted:
		if r.err != nil {
			return nil, r.err
		}
		c = r.c
	case c = <-l.handed:
	case <-l.done:
		return nil, net.ErrClosed
	}
	if l.closing.Load() {
		// Closed while the connection was on its way: the new generation
		// serves it.
		l.pass(c)
		return nil, net.ErrClosed
	}
	if _, isTLS := c.(interface{ ConnectionState() tls.ConnectionState }); isTLS {
		// A TLS session cannot move to another server, and net/http finds
		// out that a connection is TLS from its type: leave it as it is.
		return c, nil
	}
	return &conn{Conn: c, l: l}, nil
}

// Close is called first when the server shuts down, before it closes its
// idle connections.
func (l *listener) Close() error {
	now := time.Now()
	l.closedAt.CompareAndSwap(nil, &now)
	var queued []net.Conn
	var next *listener
	l.once.Do(func() {
		// Under the hub's lock no connection can be handed to l any more
		// once it is out of the hub: take what was handed before.
		l.hub.mu.Lock()
		l.closing.Store(true)
		close(l.done)
		l.hub.remove(l)
		for len(l.handed) > 0 {
			queued = append(queued, <-l.handed)
		}
		next = l.hub.successor()
		l.hub.mu.Unlock()
		_, _ = hubs.Delete(l.key)
		for _, c := range queued {
			l.pass(c)
		}
	})
	if next == nil {
		return l.Listener.Close()
	}
	// A newer generation listens on its own socket (SO_REUSEPORT). The
	// kernel resets the connections still queued on a socket that closes,
	// and it spreads new ones over both sockets until then: keep this one
	// open a moment longer, with pump passing what it accepts to the new
	// generation, so that only a connection arriving in the instant of
	// the close itself can be reset.
	time.AfterFunc(socketLinger, func() { _ = l.Listener.Close() })
	return nil
}

// socketLinger is how long the socket of a server that a reload replaced
// stays open, its connections going to the new server.
const socketLinger = 200 * time.Millisecond

// passWait is how long a connection waits for room in the new generation's
// queue of handed-over connections (a reload that hands over thousands of
// idle connections at once) before it is closed.
const passWait = time.Second

// pass hands c to the newest live generation on the same address, or
// closes it when there is none (the server stops for good).
func (l *listener) pass(c net.Conn) {
	deadline := time.Now().Add(passWait)
	for {
		l.hub.mu.Lock()
		next := l.hub.successor()
		sent := false
		if next != nil && next != l {
			select {
			case next.handed <- c:
				sent = true
			default:
			}
		}
		l.hub.mu.Unlock()
		if sent {
			return
		}
		if next == nil || next == l || time.Now().After(deadline) {
			c.Close()
			return
		}
		time.Sleep(time.Millisecond)
	}
}

type conn struct {
	net.Conn
	l *listener

	mu        sync.Mutex
	cond      *sync.Cond
	reading   int       // reads in progress
	unread    []byte    // bytes read since the last write: an unanswered request
	unreadAt  time.Time // when the first of them was read
	handling  bool      // a handler runs for the unread request
	responded bool      // a response was written since the last request bytes
	closeSent bool      // the last response said Connection: close
	legacy    bool      // the last request was HTTP/1.0
	upgraded  bool      // the connection switched protocols (WebSocket)
	handed    bool      // the connection was handed to a newer generation
}

var errHandedOver = &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}

var (
	connectionClose = []byte("\r\nConnection: close\r\n")
	http10          = []byte(" HTTP/1.0\r\n")
)

func (c *conn) Read(b []byte) (int, error) {
	c.mu.Lock()
	if c.handed {
		c.mu.Unlock()
		return 0, errHandedOver
	}
	c.reading++
	if len(b) == 1 && len(c.unread) > 0 {
		// net/http watches for the client going away with one-byte reads
		// once a request is read and its handler runs.
		c.handling = true
	}
	c.mu.Unlock()

	n, err := c.Conn.Read(b)

	c.mu.Lock()
	defer c.mu.Unlock()
	c.reading--
	if c.cond != nil {
		c.cond.Broadcast()
	}
	if n > 0 {
		c.responded = false
		if len(c.unread) == 0 {
			c.unreadAt = time.Now()
			c.handling = false
		}
		if len(c.unread)+n <= maxUnread {
			c.unread = append(c.unread, b[:n]...)
		} else {
			c.unread = append(c.unread[:0], '!') // too long to replay
		}
		c.legacy = bytes.Contains(c.unread, http10)
	}
	if c.handed {
		// The bytes are replayed to the new generation, not served here.
		return 0, errHandedOver
	}
	return n, err
}

func (c *conn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if c.handed {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	c.unread = c.unread[:0]
	c.handling = false
	if bytes.HasPrefix(b, []byte("HTTP/1.")) && len(b) > 12 {
		// A response header starts here (net/http writes it first).
		head := b
		if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
			head = b[:i+2]
		}
		c.responded = true
		c.closeSent = bytes.Contains(head, connectionClose)
		c.upgraded = c.upgraded || bytes.HasPrefix(b[9:], []byte("101"))
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}

// handoverWindow is how long after its shutdown began a server's closes
// may hand connections over: the closes that cut keep-alive clients come
// at once; a close when the grace period ends, with a request still being
// handled, never hands over.
const handoverWindow = time.Second

// shutdownWait is how long a connection ended after a keep-alive
// response waits for its server's listeners to close.
const shutdownWait = 250 * time.Millisecond

// maxUnread bounds the bytes kept for a replay; a longer unanswered request
// is not handed over.
const maxUnread = 64 << 10

// Close closes the connection, except while the server shuts down when
// the connection waits for, or holds, a request that was not answered: then
// the connection, with those bytes, is handed to the new generation's
// server on the same address, as if the client had just connected.
func (c *conn) Close() error {
	c.mu.Lock()
	if c.handed {
		c.mu.Unlock()
		return nil
	}
	if c.upgraded {
		c.mu.Unlock()
		return c.Conn.Close()
	}
	if !c.l.closing.Load() {
		// The server ends a keep-alive connection right after a response
		// that did not say Connection: close: it began shutting down just
		// after writing it, and closes its listeners next. Wait for that.
		if c.reading == 0 && len(c.unread) == 0 && c.responded && !c.closeSent && !c.legacy {
			c.handed = true
			c.mu.Unlock()
			go c.handOverOnShutdown()
			return nil
		}
		c.mu.Unlock()
		return c.Conn.Close()
	}
	if !c.handOverable() {
		c.mu.Unlock()
		return c.Conn.Close()
	}
	c.handed = true
	c.mu.Unlock()

	// Wake a read blocked on the socket, then hand over once it returned.
	_ = c.Conn.SetReadDeadline(time.Now())
	go c.handOver()
	return nil
}

// handOverOnShutdown hands the connection over if its listener closes
// soon (the server is shutting down), and closes it otherwise.
func (c *conn) handOverOnShutdown() {
	select {
	case <-c.l.done:
		c.handOver()
	case <-time.After(shutdownWait):
		c.Conn.Close()
	}
}

// handOverable tells the closes of a shutting-down server that would cut a
// keep-alive client from the others. c.mu is held.
func (c *conn) handOverable() bool {
	closedAt := c.l.closedAt.Load()
	if closedAt == nil || time.Since(*closedAt) > handoverWindow {
		return false
	}
	if len(c.unread) == 0 {
		// Waiting for the next request, or about to, unless the last
		// response ended the connection.
		return c.reading > 0 || (c.responded && !c.closeSent && !c.legacy)
	}
	// A request the server read but dropped unanswered because its
	// shutdown began. One whose handler ran (and ended the connection
	// without a response) is never replayed: for a request without a body
	// net/http starts watching the connection before the handler runs;
	// a request with a body is replayed only if it arrived after the
	// shutdown began, when no handler can have seen it.
	if !looksLikeRequest(c.unread) || c.handling {
		return false
	}
	return !hasBody(c.unread) || !c.unreadAt.Before(*closedAt)
}

// hasBody reports whether request headers announce a body.
func hasBody(req []byte) bool {
	head := req
	if i := bytes.Index(req, []byte("\r\n\r\n")); i >= 0 {
		head = req[:i]
	}
	head = bytes.ToLower(head)
	if bytes.Contains(head, []byte("\ntransfer-encoding:")) {
		return true
	}
	i := bytes.Index(head, []byte("\ncontent-length:"))
	if i < 0 {
		return false
	}
	v := head[i+len("\ncontent-length:"):]
	if j := bytes.IndexByte(v, '\r'); j >= 0 {
		v = v[:j]
	}
	return string(bytes.TrimSpace(v)) != "0"
}

func (c *conn) handOver() {
	c.mu.Lock()
	if c.cond == nil {
		c.cond = sync.NewCond(&c.mu)
	}
	for c.reading > 0 {
		c.cond.Wait()
	}
	replay := append([]byte(nil), c.unread...)
	c.mu.Unlock()

	if err := c.Conn.SetReadDeadline(time.Time{}); err != nil {
		c.Conn.Close()
		return
	}
	var next net.Conn = c.Conn
	if len(replay) > 0 {
		next = &replayConn{Conn: c.Conn, buf: replay}
	}
	c.l.pass(next)
}

// looksLikeRequest reports whether b starts like an HTTP/1 request line
// (upper-case method, space): bytes worth replaying.
func looksLikeRequest(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for i, ch := range b {
		switch {
		case ch >= 'A' && ch <= 'Z':
		case ch == ' ' && i > 0:
			return true
		default:
			return false
		}
		if i > 16 {
			return false
		}
	}
	return true
}

// replayConn returns buf before reading from the socket.
type replayConn struct {
	net.Conn
	buf []byte
}

func (r *replayConn) Read(b []byte) (int, error) {
	if len(r.buf) > 0 {
		n := copy(b, r.buf)
		r.buf = r.buf[n:]
		return n, nil
	}
	return r.Conn.Read(b)
}

// CloseWrite half-closes TCP connections, which the HTTP server uses to
// close without losing a response.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Interface guards
var (
	_ caddy.ListenerWrapper = (*Wrapper)(nil)
	_ caddyfile.Unmarshaler = (*Wrapper)(nil)
)
