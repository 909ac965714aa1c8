package traceparent

import (
	"strings"
	"testing"
)

const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"valid", valid, true},
		{"valid unsampled", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true},
		{"future version, same length", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true},
		{"future version with extra field", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what", true},
		{"empty", "", false},
		{"short", valid[:54], false},
		{"version 00 too long", valid + "-x", false},
		{"future version, no dash after flags", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", false},
		{"version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"non-hex version", "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"upper-case hex", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false},
		{"non-hex trace id", "00-4bf92f3577b34da6a3ce929d0e0e473z-00f067aa0ba902b7-01", false},
		{"non-hex span id", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01", false},
		{"non-hex flags", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x", false},
		{"zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", false},
		{"zero span id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false},
		{"wrong separator", "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"shifted fields", "00-4bf92f3577b34da6a3ce929d0e0e47360-0f067aa0ba902b7-01", false},
		{"spaces", " 0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, ok := Parse(tt.in)
			if ok != tt.ok {
				t.Fatalf("Parse(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			}
			if ok && tp.TraceID.String() != tt.in[3:35] {
				t.Fatalf("trace id = %s, want %s", tp.TraceID, tt.in[3:35])
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	tp, ok := Parse(valid)
	if !ok {
		t.Fatal("valid value rejected")
	}
	if got := tp.String(); got != valid {
		t.Fatalf("String() = %q, want %q", got, valid)
	}
	if tp.Flags != 1 {
		t.Fatalf("flags = %d, want 1", tp.Flags)
	}
}

func TestNewIDs(t *testing.T) {
	seen := make(map[TraceID]bool)
	for range 1000 {
		id := NewTraceID()
		if id.IsZero() || seen[id] {
			t.Fatalf("NewTraceID returned zero or repeated id %s", id)
		}
		seen[id] = true
		tp := TraceParent{TraceID: id, SpanID: NewSpanID(), Flags: 1}
		if back, ok := Parse(tp.String()); !ok || back != tp {
			t.Fatalf("new trace parent %q does not parse back", tp.String())
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(valid)
	f.Add("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tp, ok := Parse(s)
		if !ok {
			return
		}
		if tp.TraceID.IsZero() || tp.SpanID.IsZero() {
			t.Fatalf("Parse(%q) accepted a zero id", s)
		}
		out := tp.String()
		if len(out) != Len {
			t.Fatalf("String() = %q, want %d bytes", out, Len)
		}
		if out[3:] != s[3:Len] {
			t.Fatalf("Parse(%q) then String() = %q: ids or flags changed", s, out)
		}
		if strings.ToLower(s[:Len]) != s[:Len] {
			t.Fatalf("Parse(%q) accepted upper case", s)
		}
		back, ok := Parse(out)
		if !ok || back != tp {
			t.Fatalf("String() output %q does not parse back", out)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Parse(valid); !ok {
			b.Fatal("rejected")
		}
	}
}

func BenchmarkAppendTo(b *testing.B) {
	b.ReportAllocs()
	tp, _ := Parse(valid)
	buf := make([]byte, 0, Len)
	for b.Loop() {
		buf = tp.AppendTo(buf[:0])
	}
}
