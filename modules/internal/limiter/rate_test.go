package limiter

import (
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		perSec  float64
		wantErr bool
	}{
		{"10r/s", 10, false},
		{"600r/m", 10, false},
		{"3600r/h", 1, false},
		{"0.5r/s", 0.5, false},
		{"1r/h", 1.0 / 3600, false},
		{"5r/s", 5, false},
		{"", 0, true},
		{"10", 0, true},
		{"10r/d", 0, true},
		{"r/s", 0, true},
		{"0r/s", 0, true},
		{"-1r/s", 0, true},
		{"+1r/s", 0, true},
		{"1e3r/s", 0, true},
		{"NaNr/s", 0, true},
		{"Infr/s", 0, true},
		{"0x10r/s", 0, true},
		{"1_0r/s", 0, true},
		{"10r/sec", 0, true},
		{"10 r/s", 0, true},
		{"2000000000r/s", 0, true},
		{"0.000001r/h", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseRate(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseRate(%q) = %v, want an error", tt.in, r)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRate(%q): %v", tt.in, err)
			}
			if got := r.PerSecond(); got < tt.perSec*0.999999 || got > tt.perSec*1.000001 {
				t.Fatalf("ParseRate(%q).PerSecond() = %v, want %v", tt.in, got, tt.perSec)
			}
			again, err := ParseRate(r.String())
			if err != nil || again != r {
				t.Fatalf("round trip of %q through %q = %v, %v", tt.in, r.String(), again, err)
			}
		})
	}
}

func TestLimitTimes(t *testing.T) {
	l := Limit{Rate: Rate{Count: 5, Per: time.Second}, Burst: 5}
	if got := l.Interval(); got != 200*time.Millisecond {
		t.Errorf("Interval = %v, want 200ms", got)
	}
	if got := l.FillTime(); got != time.Second {
		t.Errorf("FillTime = %v, want 1s", got)
	}
}

func FuzzParseRate(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		ps := r.PerSecond()
		if !(ps > 0) || ps > 1e9 {
			t.Fatalf("ParseRate(%q) accepted rate %v r/s", s, ps)
		}
		if l := (Limit{Rate: r, Burst: 1}); l.Interval() <= 0 {
			t.Fatalf("ParseRate(%q): interval %v", s, l.Interval())
		}
		again, err := ParseRate(r.String())
		if err != nil || again.Per != r.Per || again.Count != r.Count {
			t.Fatalf("ParseRate(%q) = %v; re-parsing %q = %v, %v", s, r, r.String(), again, err)
		}
	})
}
