package idledrain

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sharedListener stands for the socket that Caddy's generations share on a
// reload: closing one generation's view leaves it open.
type sharedListener struct{ net.Listener }

func (sharedListener) Close() error { return nil }

func server(t *testing.T, ln net.Listener, name string) *http.Server {
	t.Helper()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, name+" "+r.URL.Path)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return srv
}

// client is one keep-alive connection written by hand, so that the test
// decides exactly when the next request is sent.
type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, c: c, br: bufio.NewReader(c)}
}

func (c *client) get(path string) (body string, closed bool, err error) {
	c.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return "", false, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return "", false, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b), resp.Close, err
}

// TestReloadHandsIdleConnectionsOver reproduces the reload race: a
// keep-alive connection is idle when the old server shuts down, and the
// client sends its next request right then.
func TestReloadHandsIdleConnectionsOver(t *testing.T) {
	tests := []struct {
		name     string
		wrap     bool
		newer    bool   // a newer generation listens on the address
		wantBody string // "" means the request fails
	}{
		{name: "bare server cuts the request", wrap: false, newer: true},
		{name: "the newer server answers it", wrap: true, newer: true, wantBody: "new /2"},
		{name: "no newer server: closed as before", wrap: true, newer: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			shared := sharedListener{raw}
			var oldLn, newLn net.Listener = shared, shared
			if tc.wrap {
				oldLn = new(Wrapper).WrapListener(shared)
			}
			old := server(t, oldLn, "old")
			c := dial(t, raw.Addr().String())
			if body, closed, err := c.get("/1"); err != nil || body != "old /1" || closed {
				t.Fatalf("first request: %q closed=%v %v", body, closed, err)
			}

			if tc.newer {
				if tc.wrap {
					newLn = new(Wrapper).WrapListener(shared)
				}
				server(t, newLn, "new")
			}
			done := make(chan struct{})
			go func() {
				old.Shutdown(context.Background())
				close(done)
			}()
			time.Sleep(100 * time.Millisecond) // the idle connection was closed (or handed over)

			body, closed, err := c.get("/2")
			switch {
			case tc.wantBody == "" && err == nil:
				t.Fatalf("request answered (%q): the race did not happen", body)
			case tc.wantBody != "" && (err != nil || body != tc.wantBody || closed):
				t.Fatalf("request during the reload: %q closed=%v %v, want %q on a kept-alive connection", body, closed, err, tc.wantBody)
			}
			if tc.wantBody != "" {
				if body, _, err := c.get("/3"); err != nil || body != "new /3" {
					t.Fatalf("next request on the handed-over connection: %q %v", body, err)
				}
			}
			if !tc.wrap {
				return // the bare server's Accept on the shared socket never ends
			}
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("shutdown did not finish")
			}
		})
	}
}

// TestReplayDroppedRequest hands over a connection whose request the old
// server read and then dropped because it was shutting down.
func TestReplayDroppedRequest(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	shared := sharedListener{raw}
	oldLn := new(Wrapper).WrapListener(shared).(*listener)

	// Play the old server by hand: read a request after Close, then close
	// the connection without answering, as net/http does when shutting down.
	c := dial(t, raw.Addr().String())
	sc, err := oldLn.Accept()
	if err != nil {
		t.Fatal(err)
	}
	server(t, new(Wrapper).WrapListener(shared), "new")
	oldLn.Close()
	if _, err := io.WriteString(c.c, "GET /dropped HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if _, err := sc.Read(buf); err != nil {
		t.Fatal(err)
	}
	sc.Close()

	c.c.SetDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("the dropped request was not replayed: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "new /dropped" {
		t.Fatalf("replayed request answered %q", b)
	}
}

// TestOtherClosesAreImmediate checks that a connection the server closes
// on its own (the client asked for Connection: close) is closed at once,
// also during a shutdown.
func TestOtherClosesAreImmediate(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	shared := sharedListener{raw}
	server(t, new(Wrapper).WrapListener(shared), "old")
	server(t, new(Wrapper).WrapListener(shared), "new")
	c := dial(t, raw.Addr().String())
	io.WriteString(c.c, "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	c.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	out, err := io.ReadAll(c.c)
	if err != nil || !strings.Contains(string(out), " /x") {
		t.Fatalf("%q %v", out, err)
	}
}

func TestHasBody(t *testing.T) {
	for in, want := range map[string]bool{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n":                      false,
		"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n":           false,
		"POST / HTTP/1.1\r\ncontent-length: 12\r\n\r\n":          true,
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n":  true,
		"GET / HTTP/1.1\r\nHost: x\r\n\r\nContent-Length: 5\r\n": false,
	} {
		if got := hasBody([]byte(in)); got != want {
			t.Errorf("hasBody(%q) = %v", in, got)
		}
	}
}

func TestLooksLikeRequest(t *testing.T) {
	for in, want := range map[string]bool{
		"GET / HTTP/1.1": true, "POS": true, "": false, "get /": false,
		" GET": false, "\x16\x03\x01": false, "ABCDEFGHIJKLMNOPQRSTUVWXYZ ": false,
	} {
		if got := looksLikeRequest([]byte(in)); got != want {
			t.Errorf("looksLikeRequest(%q) = %v", in, got)
		}
	}
}

// oldGeneration accepts one connection by hand on a wrapped listener,
// playing the old server; the client side is returned too.
func oldGeneration(t *testing.T) (shared sharedListener, oldLn *listener, sc net.Conn, c *client) {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	shared = sharedListener{raw}
	oldLn = new(Wrapper).WrapListener(shared).(*listener)
	c = dial(t, raw.Addr().String())
	sc, err = oldLn.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return shared, oldLn, sc, c
}

// TestNeverReplaysHandledRequests checks the closes that must not hand
// over: a request read before the shutdown began (its handler may have
// run and aborted), and a connection upgraded to another protocol.
func TestNeverReplaysHandledRequests(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(sc net.Conn, c *client)
	}{
		{"request with a body read before the shutdown", func(sc net.Conn, c *client) {
			io.WriteString(c.c, "POST /pay HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
			sc.Read(make([]byte, 256))
		}},
		{"request whose handler ran", func(sc net.Conn, c *client) {
			io.WriteString(c.c, "GET /abort HTTP/1.1\r\nHost: x\r\n\r\n")
			sc.Read(make([]byte, 256))
			go sc.Read(make([]byte, 1)) // net/http's background read while the handler runs
			time.Sleep(20 * time.Millisecond)
		}},
		{"upgraded connection", func(sc net.Conn, c *client) {
			io.WriteString(c.c, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			sc.Read(make([]byte, 256))
			io.WriteString(sc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			go sc.Read(make([]byte, 256)) // the proxy copying frames
			time.Sleep(20 * time.Millisecond)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shared, oldLn, sc, c := oldGeneration(t)
			tc.setup(sc, c)
			server(t, new(Wrapper).WrapListener(shared), "new")
			oldLn.Close()
			sc.Close()

			c.c.SetReadDeadline(time.Now().Add(2 * time.Second))
			rest, err := io.ReadAll(c.br)
			if err != nil {
				t.Fatalf("connection not closed: %v", err)
			}
			if strings.Contains(string(rest), "new ") {
				t.Fatalf("the new server answered a request that was already handled: %q", rest)
			}
		})
	}
}

// memConn is a connection that reads a fixed request and discards writes.
type memConn struct {
	net.Conn
	req []byte
}

func (m *memConn) Read(b []byte) (int, error)  { return copy(b, m.req), nil }
func (m *memConn) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkConn measures what the wrapper adds to one request and
// response on a keep-alive connection.
func BenchmarkConn(b *testing.B) {
	c := &conn{Conn: &memConn{req: []byte("GET /index.html HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: bench\r\n\r\n")}, l: &listener{}}
	buf := make([]byte, 4096)
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Read(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(resp); err != nil {
			b.Fatal(err)
		}
	}
}

// scriptedListener returns the given results from Accept, then blocks until
// closed.
type scriptedListener struct {
	results chan acceptResult
	closed  chan struct{}
}

func newScripted(results ...acceptResult) *scriptedListener {
	l := &scriptedListener{results: make(chan acceptResult, len(results)), closed: make(chan struct{})}
	for _, r := range results {
		l.results <- r
	}
	return l
}

func (l *scriptedListener) Accept() (net.Conn, error) {
	select {
	case r := <-l.results:
		return r.c, r.err
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *scriptedListener) Close() error {
	select {
	case <-l.closed:
	default:
		close(l.closed)
	}
	return nil
}

func (l *scriptedListener) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
}

// A temporary accept error (too many open files) reaches the server, and
// the listener accepts again afterwards.
func TestTemporaryAcceptError(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	ln := new(Wrapper).WrapListener(newScripted(acceptResult{err: emfile}, acceptResult{c: a}))
	defer ln.Close()
	if _, err := ln.Accept(); !errors.Is(err, syscall.EMFILE) {
		t.Fatalf("first Accept: %v, want EMFILE", err)
	}
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil && c.(*conn).Conn != a {
			err = errors.New("another connection")
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no connection accepted after a temporary error: the listener stopped")
	}
}

// A TLS connection is returned as it is: net/http recognizes TLS by the
// connection's type, and a TLS session cannot be handed over anyway.
func TestTLSConnectionsUnwrapped(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	tc := tls.Server(a, &tls.Config{})
	ln := new(Wrapper).WrapListener(newScripted(acceptResult{c: tc}))
	defer ln.Close()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if c != net.Conn(tc) {
		t.Fatalf("Accept returned %T, want the *tls.Conn itself", c)
	}
}

// More idle connections than the handover queue holds all reach the new
// generation.
func TestManyConnectionsHandedOver(t *testing.T) {
	oldRaw := newScripted()
	newRaw := newScripted()
	// Both generations on one address, as on a reload.
	oldLn := new(Wrapper).WrapListener(oldRaw).(*listener)
	newLn := new(Wrapper).WrapListener(newRaw).(*listener)
	defer newLn.Close()
	const n = 1000 // the queue holds 256
	var peers []net.Conn
	for range n {
		a, b := net.Pipe()
		peers = append(peers, a, b)
		go oldLn.pass(a)
	}
	defer func() {
		for _, c := range peers {
			c.Close()
		}
	}()
	got := 0
	for got < n {
		acc := make(chan error, 1)
		go func() {
			_, err := newLn.Accept()
			acc <- err
		}()
		select {
		case err := <-acc:
			if err != nil {
				t.Fatal(err)
			}
			got++
		case <-time.After(5 * time.Second):
			t.Fatalf("%d of %d handed-over connections reached the new generation", got, n)
		}
	}
	oldLn.Close()
}
