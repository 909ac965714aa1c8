package idledrain

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"
)

// listenReusePort opens a socket of its own on addr with SO_REUSEPORT, as
// Caddy does for each config generation on Linux.
func listenReusePort(t *testing.T, addr string) net.Listener {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// TestQueuedConnectionsGoToTheNewSocket: connections the kernel queued on
// the old generation's socket, which its server never accepted, are
// answered by the new generation instead of being reset when the old
// socket closes. Without the wrapper every one of them is reset.
func TestQueuedConnectionsGoToTheNewSocket(t *testing.T) {
	for _, wrap := range []bool{true, false} {
		name := map[bool]string{true: "wrapped: all answered by the new server", false: "bare: all reset"}[wrap]
		t.Run(name, func(t *testing.T) {
			oldRaw := listenReusePort(t, "127.0.0.1:0")
			addr := oldRaw.Addr().String()
			var oldLn net.Listener = oldRaw
			if wrap {
				oldLn = new(Wrapper).WrapListener(oldRaw)
			}

			// Queued before the new socket exists, so all on the old one;
			// no server accepts them there.
			const queued = 8
			clients := make([]*client, queued)
			for i := range clients {
				clients[i] = dial(t, addr)
			}

			var newLn net.Listener = listenReusePort(t, addr)
			if wrap {
				newLn = new(Wrapper).WrapListener(newLn)
			}
			server(t, newLn, "new")
			if err := oldLn.Close(); err != nil {
				t.Fatal(err)
			}

			answered := 0
			for i, c := range clients {
				body, _, err := c.get("/q")
				switch {
				case err == nil && body == "new /q":
					answered++
				case err == nil:
					t.Errorf("connection %d: %q", i, body)
				case wrap:
					t.Errorf("connection %d: %v", i, err)
				}
			}
			if !wrap && answered != 0 {
				t.Fatalf("bare socket: %d of %d queued connections answered: the reset did not happen", answered, queued)
			}
			if wrap && answered != queued {
				t.Fatalf("%d of %d queued connections answered", answered, queued)
			}
			if wrap {
				// The old socket closes after the linger.
				time.Sleep(socketLinger + 100*time.Millisecond)
				if _, err := oldRaw.Accept(); err == nil {
					t.Fatal("the old socket still accepts after the linger")
				}
			}
		})
	}
}

// soReusePort is SO_REUSEPORT on Linux (the syscall package lacks it).
const soReusePort = 0xf
