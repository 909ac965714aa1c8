package waitingroom

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// chromiumConfig is a shop whose /book page waits in a one-place room.
const chromiumConfig = `{
	admin localhost:2331
	auto_https off
}

http://127.0.0.1:19801 {
	@booking path /book*
	waiting_room @booking browser {
		active_users 1
		new_users_per_minute 600
		session_duration 2s
		refresh 1s
		site_name "Example Tickets"
	}
	handle /book* {
		header Content-Type "text/html; charset=utf-8"
		respond "<!DOCTYPE html><title>Booking</title><h1>Welcome to the booking page</h1>"
	}
}
`

// TestChromiumWaitsAndLands opens the queue page in real headless Chromium
// while the only place is taken: the page shows the visitor first in line,
// refreshes itself, and lands on the booking page once the place frees,
// without any input.
func TestChromiumWaitsAndLands(t *testing.T) {
	harness.Long(t, "starts Caddy and headless Chromium")
	browser := harness.Chromium(t)
	tc := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{AdminPort: adminPort})
	tc.InitServer(chromiumConfig, "caddyfile")
	if t.Failed() {
		t.FailNow()
	}
	t.Cleanup(func() { admin(t, adminURL, "POST", "/load", `{"admin":{"listen":"localhost:2331"}}`, nil) })
	book := "http://127.0.0.1:19801/book"

	holder := newVisitor()
	if r := holder.get(t, book, false); !strings.Contains(r.body, "Welcome") {
		t.Fatalf("the first visitor did not get in: %q", r.body)
	}
	// The holder keeps the place for a few seconds, then leaves.
	holdUntil := time.Now().Add(4 * time.Second)
	go func() {
		for time.Now().Before(holdUntil) {
			holder.try(book)
			time.Sleep(500 * time.Millisecond)
		}
	}()

	if err := browser.Navigate(book); err != nil {
		t.Fatal(err)
	}
	text := waitText(t, browser, "You are in line", 10*time.Second)
	if !strings.Contains(text, "Example Tickets") || !strings.Contains(text, "nobody ahead of you") {
		t.Fatalf("queue page text: %q", text)
	}
	if place, _ := browser.Eval(`document.querySelector(".place b").textContent`); place != "1" {
		t.Fatalf("place shown %q, want 1", place)
	}
	shot, err := browser.Screenshot()
	if err != nil {
		t.Fatal(err)
	}
	checkScreenshot(t, shot)

	start := time.Now()
	text = waitText(t, browser, "Welcome to the booking page", 20*time.Second)
	t.Logf("Chromium landed on the booking page %s after the queue page, %s after the holder left",
		time.Since(start).Round(100*time.Millisecond), time.Since(holdUntil).Round(100*time.Millisecond))
	if href, _ := browser.Eval("location.href"); href != book {
		t.Fatalf("landed on %q, want %q", href, book)
	}
	if time.Now().Before(holdUntil) {
		t.Fatal("Chromium got in while the place was taken")
	}
}

// waitText polls the page's text until it contains want.
func waitText(t *testing.T, b *harness.Browser, want string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var text string
	for time.Now().Before(deadline) {
		var err error
		text, err = b.Eval(`document.body ? document.body.innerText : ""`)
		if err == nil && strings.Contains(text, want) {
			return text
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the page never showed %q; last text %q", want, text)
	return ""
}

// checkScreenshot decodes the PNG and checks that it shows a page: enough
// distinct colours (text, the card, the progress bar) and not one colour
// almost everywhere.
func checkScreenshot(t *testing.T, shot []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 300 || b.Dy() < 300 {
		t.Fatalf("screenshot is %dx%d", b.Dx(), b.Dy())
	}
	colours := map[[3]uint32]int{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}]++
		}
	}
	most, total := 0, 0
	for _, n := range colours {
		most = max(most, n)
		total += n
	}
	if dir := os.Getenv("FRONTDOOR_SCREENSHOTS"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "waiting-room-queue.png"), shot, 0o644)
	}
	if len(colours) < 20 || float64(most)/float64(total) > 0.97 {
		t.Fatalf("screenshot looks blank: %d colours, the commonest on %.0f%% of the page", len(colours), 100*float64(most)/float64(total))
	}
	t.Logf("screenshot %dx%d: %d colours, the commonest on %.0f%% of the page", b.Dx(), b.Dy(), len(colours), 100*float64(most)/float64(total))
}
