package appstate

import "testing"

type app struct{ name string }

// TestStarted: the newest started app is current; stopping it (a config
// that failed to start) makes the previous one current again.
func TestStarted(t *testing.T) {
	var s Started[app]
	if s.Current() != nil {
		t.Fatal("an empty list has a current app")
	}
	a, b := &app{"a"}, &app{"b"}
	s.Add(a)
	s.Add(b)
	if s.Current() != b {
		t.Fatalf("current %v, want b", s.Current())
	}
	s.Remove(b)
	if s.Current() != a {
		t.Fatalf("after b stopped: current %v, want a", s.Current())
	}
	s.Remove(&app{"a"}) // another app with the same contents is not a
	if s.Current() != a {
		t.Fatal("removing another app removed a")
	}
	s.Remove(a)
	if s.Current() != nil {
		t.Fatal("every app stopped, one is still current")
	}
}
