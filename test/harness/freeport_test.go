package harness

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// lockedElsewhere reports whether another open file holds port's lock.
func lockedElsewhere(t *testing.T, port int) bool {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "frontdoor-test-ports", strconv.Itoa(port)), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// TestFreePort checks that the ports handed out are distinct and held for
// the test that asked, and released when it ends.
func TestFreePort(t *testing.T) {
	var held []int
	t.Run("hold", func(t *testing.T) {
		seen := map[int]bool{}
		for range 50 {
			p := FreePort(t)
			if seen[p] {
				t.Fatalf("port %d handed out twice", p)
			}
			seen[p] = true
			if !lockedElsewhere(t, p) {
				t.Fatalf("port %d is not held while its test runs", p)
			}
			held = append(held, p)
		}
	})
	for _, p := range held {
		if lockedElsewhere(t, p) {
			t.Fatalf("port %d is still held after its test ended", p)
		}
	}
}
