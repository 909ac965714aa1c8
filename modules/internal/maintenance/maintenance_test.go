package maintenance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestStateActive(t *testing.T) {
	tests := []struct {
		name  string
		state *State
		now   time.Time
		want  bool
	}{
		{"nil", nil, t0, false},
		{"off", &State{}, t0, false},
		{"on", &State{Enabled: true}, t0, true},
		{"before from", &State{Enabled: true, From: t0.Add(time.Second)}, t0, false},
		{"at from", &State{Enabled: true, From: t0}, t0, true},
		{"before until", &State{Enabled: true, Until: t0.Add(time.Nanosecond)}, t0, true},
		{"at until", &State{Enabled: true, Until: t0}, t0, false},
		{"inside window", &State{Enabled: true, From: t0.Add(-time.Hour), Until: t0.Add(time.Hour)}, t0, true},
		{"window but disabled", &State{From: t0.Add(-time.Hour), Until: t0.Add(time.Hour)}, t0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.state.Active(tt.now); got != tt.want {
				t.Errorf("Active = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStateRetryAfter(t *testing.T) {
	tests := []struct {
		name  string
		state *State
		def   time.Duration
		want  int64
	}{
		{"default", &State{Enabled: true}, 30 * time.Minute, 1800},
		{"until rounds up", &State{Enabled: true, Until: t0.Add(1500 * time.Millisecond)}, time.Hour, 2},
		{"until exact", &State{Enabled: true, Until: t0.Add(90 * time.Second)}, time.Hour, 90},
		{"until passed is at least 1", &State{Enabled: true, Until: t0.Add(-time.Second)}, time.Hour, 1},
		{"tiny default is at least 1", &State{Enabled: true}, time.Millisecond, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.state.RetryAfter(t0, tt.def); got != tt.want {
				t.Errorf("RetryAfter = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParseUpdate(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    State
		wantErr string
	}{
		{"empty body turns on", ``, State{Enabled: true}, ""},
		{"enabled", `{"enabled":true}`, State{Enabled: true}, ""},
		{"disabled", `{"enabled":false}`, State{}, ""},
		{"message", `{"message":"back soon"}`, State{Enabled: true, Message: "back soon"}, ""},
		{"window", `{"enabled":true,"from":"2026-11-23T11:00:00Z","until":"2026-11-23T14:00:00+01:00"}`,
			State{Enabled: true, From: t0.Add(-time.Hour), Until: t0.Add(time.Hour)}, ""},
		{"bad json", `{"enabled":`, State{}, "invalid JSON body"},
		{"unknown field", `{"enable":true}`, State{}, "unknown field"},
		{"two values", `{} {}`, State{}, "more than one"},
		{"bad time", `{"until":"tomorrow"}`, State{}, "invalid JSON body"},
		{"until before from", `{"from":"2026-11-23T14:00:00Z","until":"2026-11-23T13:00:00Z"}`, State{}, "must be after from"},
		{"until equals from", `{"from":"2026-11-23T14:00:00Z","until":"2026-11-23T14:00:00Z"}`, State{}, "must be after from"},
		{"until in the past", `{"until":"2026-11-23T11:59:59Z"}`, State{}, "in the past"},
		{"message too long", `{"message":"` + strings.Repeat("x", MaxMessageLength+1) + `"}`, State{}, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUpdate([]byte(tt.body), t0)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrBadRequest) {
					t.Fatalf("err = %v, want one containing %q wrapping ErrBadRequest", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.From.Equal(tt.want.From) || !got.Until.Equal(tt.want.Until) ||
				got.Enabled != tt.want.Enabled || got.Message != tt.want.Message || !got.Updated.IsZero() {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMarshalStateRoundTrip(t *testing.T) {
	in := State{Enabled: true, From: t0, Until: t0.Add(time.Hour), Message: "m", Updated: t0}
	b, err := MarshalState(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := UnmarshalState(b)
	if err != nil {
		t.Fatal(err)
	}
	if !out.From.Equal(in.From) || !out.Until.Equal(in.Until) || out.Message != in.Message || !out.Enabled || !out.Updated.Equal(in.Updated) {
		t.Fatalf("round trip: got %+v, want %+v", out, in)
	}
	d := in.Document("shop", t0.Add(time.Minute))
	j, _ := json.Marshal(d)
	for _, key := range []string{`"name":"shop"`, `"enabled":true`, `"from":"2026-11-23T12:00:00Z"`, `"until":"2026-11-23T13:00:00Z"`, `"message":"m"`, `"active":true`} {
		if !bytes.Contains(j, []byte(key)) {
			t.Errorf("document %s lacks %s", j, key)
		}
	}
	off, _ := json.Marshal((&State{}).Document("shop", t0))
	if !bytes.Contains(off, []byte(`"from":null`)) || !bytes.Contains(off, []byte(`"until":null`)) {
		t.Errorf("document of an unset window should carry null times: %s", off)
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"shop": true, "brand-site": true, "a.b_c": true, "0": true, strings.Repeat("a", 64): true,
		"": false, ".hidden": false, "-x": false, "a/b": false, "a b": false, "..": false, strings.Repeat("a", 65): false, "ü": false,
	} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			if got := ValidName(name); got != want {
				t.Errorf("ValidName = %v, want %v", got, want)
			}
		})
	}
}

func TestBypass(t *testing.T) {
	b := NewBypass("shop", "s3cret-s3cret-s3cret")
	if !b.MatchSecret("s3cret-s3cret-s3cret") {
		t.Fatal("the secret does not match itself")
	}
	for _, wrong := range []string{"", "s3cret", "s3cret-s3cret-s3cretX", "S3cret-s3cret-s3cret"} {
		if b.MatchSecret(wrong) {
			t.Errorf("MatchSecret(%q) = true", wrong)
		}
	}

	cookie := b.Issue(t0.Add(time.Hour))
	if strings.Contains(cookie, "s3cret") {
		t.Fatalf("cookie %q carries the secret", cookie)
	}
	tampered := []byte(cookie)
	tampered[len(tampered)-2] ^= 1
	exp, sig, _ := strings.Cut(cookie, ".")
	later := fmt.Sprint(t0.Add(100*time.Hour).Unix()) + "." + sig

	tests := []struct {
		name   string
		bypass *Bypass
		value  string
		now    time.Time
		want   bool
	}{
		{"valid", b, cookie, t0, true},
		{"just before expiry", b, cookie, t0.Add(time.Hour - time.Second), true},
		{"expired", b, cookie, t0.Add(time.Hour), false},
		{"tampered signature", b, string(tampered), t0, false},
		{"extended expiry", b, later, t0, false},
		{"no signature", b, exp, t0, false},
		{"empty", b, "", t0, false},
		{"garbage", b, "x.y", t0, false},
		{"other maintenance", NewBypass("brand", "s3cret-s3cret-s3cret"), cookie, t0, false},
		{"other secret", NewBypass("shop", "another-secret-value"), cookie, t0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.bypass.Valid(tt.value, tt.now); got != tt.want {
				t.Errorf("Valid(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestQueryHelpers(t *testing.T) {
	strip := []struct{ in, want string }{
		{"", ""},
		{"fd_bypass=x", ""},
		{"a=1&fd_bypass=x&b=2", "a=1&b=2"},
		{"fd%5Fbypass=x&a=%20", "a=%20"},
		{"fd_bypass=x&fd_bypass=y&c", "c"},
		{"fd_bypassed=1", "fd_bypassed=1"},
		{"a=1&&b", "a=1&b"},
	}
	for _, tt := range strip {
		t.Run("strip "+tt.in, func(t *testing.T) {
			if got := StripParam(tt.in, "fd_bypass"); got != tt.want {
				t.Errorf("StripParam = %q, want %q", got, tt.want)
			}
		})
	}
	get := []struct {
		in, want string
		ok       bool
	}{
		{"a=1&fd_bypass=s%20x", "s x", true},
		{"fd_bypass=", "", true},
		{"fd_bypassed=1", "", false},
		{"fd_bypass=%zz", "", false},
	}
	for _, tt := range get {
		t.Run("get "+tt.in, func(t *testing.T) {
			got, ok := QueryParam(tt.in, "fd_bypass")
			if got != tt.want || ok != tt.ok {
				t.Errorf("QueryParam = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	paths := []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"/a/b", "/a/b"},
		{"//evil.example/x", "/evil.example/x"},
		{`/\evil.example`, "/evil.example"},
		{`\/\/evil`, "/evil"},
		{"/%2F%2Fevil", "/%2F%2Fevil"},
	}
	for _, tt := range paths {
		t.Run("path "+tt.in, func(t *testing.T) {
			if got := SafeLocalPath(tt.in); got != tt.want {
				t.Errorf("SafeLocalPath = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPrefersJSON(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"", false},
		{"*/*", false},
		{"application/json", true},
		{"Application/JSON; charset=utf-8", true},
		{"application/problem+json", true},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false},
		{"application/json, text/html;q=0.5", true},
		{"text/html, application/json;q=0.9", false},
		{"application/json;q=0", false},
		{"application/json;q=bogus", false},
		{"text/plain, application/json;q=0.1", true},
		// Issue 13: the weight is found wherever it is, and the most
		// specific range decides.
		{"application/json;q=0;level=1", false},
		{"application/json;level=1;q=0", false},
		{"application/json;Q=0", false},
		{"*/*, application/json;q=0.5", false},
		{"application/json;q=0, application/problem+json", false},
		{"application/json, text/plain, */*", true},
		{"application/json, */*;q=0.5", true},
		{`text/html;charset="UTF-8", application/json;q=0.9`, false},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			if got := PrefersJSON(tt.accept); got != tt.want {
				t.Errorf("PrefersJSON(%q) = %v, want %v", tt.accept, got, tt.want)
			}
		})
	}
}

func TestPage(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		p, err := ParsePage("shop", "")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := p.RenderHTML(&buf, PageData{Message: "<b>soon</b>", Until: t0}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.Contains(out, "&lt;b&gt;soon&lt;/b&gt;") || strings.Contains(out, "<b>soon") {
			t.Errorf("message not escaped: %s", out)
		}
		if !strings.Contains(out, `datetime="2026-11-23T12:00:00Z"`) {
			t.Errorf("until missing: %s", out)
		}
		buf.Reset()
		_ = p.RenderHTML(&buf, PageData{Message: "m"})
		if strings.Contains(buf.String(), "Expected back") {
			t.Errorf("zero until rendered: %s", buf.String())
		}
	})
	t.Run("custom", func(t *testing.T) {
		p, err := ParsePage("shop", `{{.Name}}|{{.Message}}|{{.RetryAfter}}`)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_ = p.RenderHTML(&buf, PageData{Name: "shop", Message: "m", RetryAfter: 42})
		if buf.String() != "shop|m|42" {
			t.Errorf("got %q", buf.String())
		}
	})
	t.Run("syntax error", func(t *testing.T) {
		if _, err := ParsePage("shop", `{{.Message`); err == nil {
			t.Error("no error for a broken template")
		}
	})
	t.Run("unknown field", func(t *testing.T) {
		if _, err := ParsePage("shop", `{{.Nope}}`); err == nil {
			t.Error("no error for a template using an unknown field")
		}
	})
	t.Run("json", func(t *testing.T) {
		var buf bytes.Buffer
		_ = RenderJSON(&buf, PageData{Message: "m", Until: t0})
		if got := strings.TrimSpace(buf.String()); got != `{"status":"maintenance","message":"m","until":"2026-11-23T12:00:00Z"}` {
			t.Errorf("got %s", got)
		}
		buf.Reset()
		_ = RenderJSON(&buf, PageData{Message: "m"})
		if got := strings.TrimSpace(buf.String()); got != `{"status":"maintenance","message":"m","until":null}` {
			t.Errorf("got %s", got)
		}
	})
}

// memStorage is an in-memory Storage; fail makes every call fail.
type memStorage struct {
	mu   sync.Mutex
	m    map[string][]byte
	fail bool
}

func newMemStorage() *memStorage { return &memStorage{m: map[string][]byte{}} }

func (s *memStorage) Load(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return nil, errors.New("storage down")
	}
	b, ok := s.m[key]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return bytes.Clone(b), nil
}

func (s *memStorage) Store(_ context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("storage down")
	}
	s.m[key] = bytes.Clone(value)
	return nil
}

func (s *memStorage) put(key string, st State) {
	b, _ := MarshalState(st)
	s.mu.Lock()
	s.m[key] = b
	s.mu.Unlock()
}

func (s *memStorage) remove(key string) {
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
}

func TestRegistry(t *testing.T) {
	ctx := context.Background()

	t.Run("default until stored", func(t *testing.T) {
		r := NewRegistry(newMemStorage())
		sw, err := r.Register(ctx, "shop", Options{Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		if !sw.State().Enabled {
			t.Fatal("the configured default (on) is not used")
		}
		if _, err := r.Set(ctx, "shop", State{Enabled: false}); err != nil {
			t.Fatal(err)
		}
		if sw.State().Enabled {
			t.Fatal("Set did not switch off")
		}
	})

	t.Run("loads stored state", func(t *testing.T) {
		st := newMemStorage()
		st.put(Key("shop"), State{Enabled: true, Message: "stored"})
		r := NewRegistry(st)
		sw, _ := r.Register(ctx, "shop", Options{})
		if s := sw.State(); !s.Enabled || s.Message != "stored" {
			t.Fatalf("stored state not loaded: %+v", s)
		}
	})

	t.Run("same name twice", func(t *testing.T) {
		r := NewRegistry(newMemStorage())
		a, _ := r.Register(ctx, "shop", Options{})
		b, err := r.Register(ctx, "shop", Options{})
		if err != nil || a != b {
			t.Fatalf("second registration: %v, same switch %v", err, a == b)
		}
		if _, err := r.Register(ctx, "shop", Options{Enabled: true}); err == nil {
			t.Fatal("conflicting defaults accepted")
		}
		if _, err := r.Register(ctx, "bad/name", Options{}); err == nil {
			t.Fatal("invalid name accepted")
		}
	})

	t.Run("refresh follows other writers", func(t *testing.T) {
		st := newMemStorage()
		a, b := NewRegistry(st), NewRegistry(st)
		swA, _ := a.Register(ctx, "shop", Options{})
		swB, _ := b.Register(ctx, "shop", Options{})
		if _, err := a.Set(ctx, "shop", State{Enabled: true}); err != nil {
			t.Fatal(err)
		}
		if swB.State().Enabled {
			t.Fatal("b switched before refreshing")
		}
		if err := b.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if !swB.State().Enabled || !swA.State().Enabled {
			t.Fatal("b did not follow a's write")
		}
		st.remove(Key("shop"))
		_ = a.Refresh(ctx)
		if swA.State().Enabled {
			t.Fatal("a removed key does not bring back the default")
		}
	})

	t.Run("storage down keeps state", func(t *testing.T) {
		st := newMemStorage()
		r := NewRegistry(st)
		sw, _ := r.Register(ctx, "shop", Options{})
		_, _ = r.Set(ctx, "shop", State{Enabled: true})
		st.fail = true
		if err := r.Refresh(ctx); err == nil {
			t.Fatal("no error from a failing storage")
		}
		if !sw.State().Enabled {
			t.Fatal("a storage failure changed the state")
		}
		if _, err := r.Set(ctx, "shop", State{}); err == nil {
			t.Fatal("Set succeeded without storage")
		}
		if !sw.State().Enabled {
			t.Fatal("a failed Set changed the state")
		}
		// A start with storage down: nothing known, so maintenance is on
		// (keep), or what on_state_error says; never a failed registration.
		r2 := NewRegistry(st)
		sw2, err := r2.Register(ctx, "brand", Options{})
		if err != nil || sw2 == nil || !sw2.State().Enabled || sw2.Err() == nil {
			t.Fatalf("Register with storage down: %v, %+v, %v (want the switch on, with its error)", err, sw2.State(), sw2.Err())
		}
		sw3, err := r2.Register(ctx, "open", Options{Enabled: true, OnStateError: StateErrorOpen})
		if err != nil || sw3.State().Enabled {
			t.Fatalf("Register with storage down, on_state_error open: %v, %+v", err, sw3.State())
		}
	})

	t.Run("concurrent writes end with the last", func(t *testing.T) {
		st := newMemStorage()
		r := NewRegistry(st)
		sw, _ := r.Register(ctx, "shop", Options{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		var last State
		for i := range 100 {
			wg.Go(func() {
				s, err := r.Set(ctx, "shop", State{Enabled: i%2 == 0, Message: fmt.Sprint(i)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if s.Updated.After(last.Updated) {
					last = s
				}
				mu.Unlock()
				_ = r.Refresh(ctx)
				_ = sw.State().Active(t0)
			})
		}
		wg.Wait()
		stored, _ := st.Load(ctx, Key("shop"))
		got, _ := UnmarshalState(stored)
		mem := sw.State()
		if mem.Message != got.Message || mem.Enabled != got.Enabled {
			t.Fatalf("memory %+v differs from storage %+v", mem, got)
		}
		if mem.Message != last.Message || !mem.Updated.Equal(last.Updated) {
			t.Fatalf("final state %+v is not the last write %+v", mem, last)
		}
	})

	t.Run("switches sorted", func(t *testing.T) {
		r := NewRegistry(newMemStorage())
		for _, n := range []string{"c", "a", "b"} {
			_, _ = r.Register(ctx, n, Options{})
		}
		var names []string
		for _, sw := range r.Switches() {
			names = append(names, sw.Name())
		}
		if strings.Join(names, ",") != "a,b,c" {
			t.Fatalf("Switches = %v", names)
		}
	})
}

func BenchmarkPrefersJSON(b *testing.B) {
	b.ReportAllocs()
	accept := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for b.Loop() {
		PrefersJSON(accept)
	}
}

func BenchmarkBypassValid(b *testing.B) {
	b.ReportAllocs()
	bp := NewBypass("shop", "s3cret-s3cret-s3cret")
	c := bp.Issue(time.Now().Add(time.Hour))
	for b.Loop() {
		bp.Valid(c, t0)
	}
}

func FuzzParseUpdate(f *testing.F) {
	f.Add([]byte(`{"enabled":true,"from":"2026-11-23T11:00:00Z","until":"2026-11-23T13:00:00Z","message":"m"}`))
	f.Add([]byte(`{"enabled":false}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := ParseUpdate(body, t0)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error does not wrap ErrBadRequest: %v", err)
			}
			return
		}
		if !s.Until.IsZero() && !s.Until.After(t0) {
			t.Fatalf("accepted an until in the past: %+v", s)
		}
		if !s.From.IsZero() && !s.Until.IsZero() && !s.Until.After(s.From) {
			t.Fatalf("accepted until before from: %+v", s)
		}
		b, err := MarshalState(s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalState(b)
		if err != nil || back.Enabled != s.Enabled || back.Message != s.Message || !back.Until.Equal(s.Until) || !back.From.Equal(s.From) {
			t.Fatalf("storage round trip: %+v -> %+v (%v)", s, back, err)
		}
	})
}

func FuzzBypassValid(f *testing.F) {
	bp := NewBypass("shop", "s3cret-s3cret-s3cret")
	f.Add(bp.Issue(t0.Add(time.Hour)))
	f.Add("1795476973.-BLMIGdI7QpcLXm-hma4wEeScJhclL98wKS-Q97sSlw")
	f.Add("")
	f.Fuzz(func(t *testing.T, value string) {
		// Only values Issue produces may pass: anything valid must be
		// exactly the cookie Issue gives for its expiry.
		if !bp.Valid(value, t0) {
			return
		}
		exp, _, _ := strings.Cut(value, ".")
		var unix int64
		if _, err := fmt.Sscan(exp, &unix); err != nil {
			t.Fatalf("valid cookie %q with unparsable expiry", value)
		}
		if want := bp.Issue(time.Unix(unix, 0)); want != value {
			t.Fatalf("accepted %q, which Issue would write as %q", value, want)
		}
	})
}
