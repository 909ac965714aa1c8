package ascii

import "testing"

func TestEqualLower(t *testing.T) {
	tests := []struct {
		s, lower string
		want     bool
	}{
		{"Set-Cookie", "set-cookie", true},
		{"SHELL", "shell", true},
		{"shell", "shell", true},
		{"Shel", "shell", false},
		{"Shelk", "shell", false},
		{"", "", true},
		{"[", "{", false}, // not folded: only A-Z are letters here
		{"K\u212a", "kk", false},
	}
	for _, tt := range tests {
		if got := EqualLower(tt.s, tt.lower); got != tt.want {
			t.Errorf("EqualLower(%q, %q) = %v, want %v", tt.s, tt.lower, got, tt.want)
		}
	}
}

func TestEqualLowerAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { EqualLower("Proxy-Authorization", "proxy-authorization") }); n != 0 {
		t.Fatalf("%v allocations, want 0", n)
	}
}
