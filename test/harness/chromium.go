package harness

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// Browser is a real headless Chromium (Debian's chromium package) with one
// page, driven through the Chrome DevTools Protocol.
type Browser struct {
	proc *Process
	ws   *websocket.Conn

	mu      sync.Mutex
	next    int
	pending map[int]chan cdpReply
	closed  chan struct{}
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Chromium starts headless Chromium with a fresh profile on a loopback
// DevTools port and attaches to its page; it is stopped when the test ends.
func Chromium(t testing.TB) *Browser {
	t.Helper()
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		Missing(t, "chromium is not installed")
	}
	profile := t.TempDir()
	cmd := exec.Command(bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--remote-allow-origins=*", "--window-size=1024,768", "about:blank")
	cmd.Env = append(os.Environ(), "HOME="+profile)
	p := Start(t, "chromium", "", cmd)

	// Chromium writes its DevTools port into the profile.
	var port string
	deadline := time.Now().Add(30 * time.Second)
	for port == "" {
		if b, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort")); err == nil {
			if first, _, ok := strings.Cut(string(b), "\n"); ok && first != "" {
				port = first
			}
		}
		if p.Exited() {
			t.Fatalf("chromium exited:\n%s", p.Output())
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromium did not open its DevTools port within 30 s:\n%s", p.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Addr = "127.0.0.1:" + port

	var targets []struct {
		Type string `json:"type"`
		URL  string `json:"webSocketDebuggerUrl"`
	}
	for {
		resp, err := http.Get("http://" + p.Addr + "/json/list")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
		}
		if err == nil && len(targets) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromium lists no page: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wsURL := ""
	for _, tg := range targets {
		if tg.Type == "page" {
			wsURL = tg.URL
			break
		}
	}
	if wsURL == "" {
		t.Fatalf("chromium has no page target: %+v", targets)
	}
	ws, err := websocket.Dial(wsURL, "", "http://127.0.0.1/")
	if err != nil {
		t.Fatalf("connecting to chromium's page: %v", err)
	}
	ws.MaxPayloadBytes = 64 << 20
	b := &Browser{proc: p, ws: ws, pending: make(map[int]chan cdpReply), closed: make(chan struct{})}
	go b.read()
	t.Cleanup(func() { ws.Close() })
	return b
}

// read delivers replies to their calls; events are dropped.
func (b *Browser) read() {
	defer close(b.closed)
	for {
		var msg struct {
			ID int `json:"id"`
			cdpReply
		}
		if err := websocket.JSON.Receive(b.ws, &msg); err != nil {
			return
		}
		if msg.ID == 0 {
			continue
		}
		b.mu.Lock()
		ch := b.pending[msg.ID]
		delete(b.pending, msg.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- msg.cdpReply
		}
	}
}

// Call runs a DevTools method and decodes its result into result (when not
// nil).
func (b *Browser) Call(method string, params, result any) error {
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan cdpReply, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	if params == nil {
		params = struct{}{}
	}
	if err := websocket.JSON.Send(b.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		return fmt.Errorf("%s: %v", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, r.Error.Message, r.Error.Code)
		}
		if result != nil {
			return json.Unmarshal(r.Result, result)
		}
		return nil
	case <-b.closed:
		return fmt.Errorf("%s: the connection to chromium closed", method)
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s: no answer within 30 s", method)
	}
}

// Navigate loads url in the page, as typing it in the address bar does.
func (b *Browser) Navigate(url string) error {
	var r struct {
		ErrorText string `json:"errorText"`
	}
	if err := b.Call("Page.navigate", map[string]any{"url": url}, &r); err != nil {
		return err
	}
	if r.ErrorText != "" {
		return fmt.Errorf("navigating to %s: %s", url, r.ErrorText)
	}
	return nil
}

// Eval evaluates a JavaScript expression in the page and returns its value
// as a string (JSON for non-strings).
func (b *Browser) Eval(expr string) (string, error) {
	var r struct {
		Result struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := b.Call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r); err != nil {
		return "", err
	}
	if r.Exception != nil {
		return "", fmt.Errorf("%s: %s", expr, r.Exception.Text)
	}
	var s string
	if json.Unmarshal(r.Result.Value, &s) == nil {
		return s, nil
	}
	return string(r.Result.Value), nil
}

// Screenshot returns a PNG of the page as shown.
func (b *Browser) Screenshot() ([]byte, error) {
	var r struct {
		Data string `json:"data"`
	}
	if err := b.Call("Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}
