package maintenance

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"
)

// changes records what a registry reports through OnChange.
type changes []Change

func (c *changes) record(r *Registry) { r.OnChange(func(ch Change) { *c = append(*c, ch) }) }

func TestUnmarshalStateDamaged(t *testing.T) {
	good, _ := MarshalState(State{Enabled: true, Message: "Deploying", Updated: t0})
	for _, bad := range []string{
		string(good[:len(good)/2]), // truncated
		"",
		" ",
		"null",
		"[]",
		`"enabled"`,
		`{"enabled":"yes"}`,
		`{"message":"no enabled field"}`,
		`{"enabled":true}{"enabled":false}`,
		`{"enabled":true,"message":"` + strings.Repeat("m", MaxMessageLength+1) + `"}`,
		`{"enabled":true,"pad":"` + strings.Repeat(" ", 70000) + `"}`,
		"\x00\x00\x00\x00",
	} {
		if s, err := UnmarshalState([]byte(bad)); err == nil {
			t.Errorf("UnmarshalState(%.40q) = %+v, want an error", bad, s)
		}
	}
	s, err := UnmarshalState(good)
	if err != nil || !s.Enabled || s.Message != "Deploying" {
		t.Fatalf("good state: %+v, %v", s, err)
	}
	// Fields a later version may add do not make a state unreadable.
	if s, err := UnmarshalState([]byte(`{"enabled":false,"colour":"red"}`)); err != nil || s.Enabled {
		t.Fatalf("unknown field: %+v, %v", s, err)
	}
}

func TestRegistryStateErrors(t *testing.T) {
	ctx := context.Background()
	damage := func(st *memStorage, name, value string) {
		st.mu.Lock()
		st.m[Key(name)] = []byte(value)
		st.mu.Unlock()
	}

	t.Run("damaged while running: kept, reported once per change, repaired by Set", func(t *testing.T) {
		st := newMemStorage()
		r := NewRegistry(st)
		var got changes
		got.record(r)
		sw, _ := r.Register(ctx, "shop", Options{})
		if _, err := r.Set(ctx, "shop", State{Enabled: true, Message: "Deploying"}); err != nil {
			t.Fatal(err)
		}
		kept := sw.State()
		damage(st, "shop", `{"enabled":tr`)
		for range 5 {
			if err := r.Refresh(ctx); err == nil {
				t.Fatal("Refresh of a damaged state returned no error")
			}
		}
		if sw.State() != kept || sw.Err() == nil || !strings.Contains(sw.Err().Error(), "frontdoor/maintenance/shop.json") {
			t.Fatalf("state %+v, error %v: want the last state kept (same value) and the error naming the key", sw.State(), sw.Err())
		}
		d := sw.Document(t0)
		if d.Readable || d.Error != sw.Err().Error() || !d.Enabled || d.Message != "Deploying" {
			t.Fatalf("document %+v", d)
		}
		if len(got) != 1 || got[0].Err == nil || got[0].Was != nil || !got[0].Known || got[0].State != kept {
			t.Fatalf("changes after five reads of one damage: %+v", got)
		}

		damage(st, "shop", `{"enabled":"yes"}`)
		_ = r.Refresh(ctx)
		_ = r.Refresh(ctx)
		if len(got) != 2 || got[1].Was == nil || got[1].Err == nil || got[1].Err.Error() == got[1].Was.Error() {
			t.Fatalf("changes after another damage: %+v", got)
		}

		if _, err := r.Set(ctx, "shop", State{}); err != nil {
			t.Fatal(err)
		}
		if sw.Err() != nil || sw.State().Enabled || !sw.Document(t0).Readable {
			t.Fatalf("after Set: %+v, %v", sw.State(), sw.Err())
		}
		stored, _ := st.Load(ctx, Key("shop"))
		if s, err := UnmarshalState(stored); err != nil || s.Enabled {
			t.Fatalf("Set left %s in storage (%v)", stored, err)
		}
		_ = r.Refresh(ctx)
		if len(got) != 3 || got[2].Err != nil || got[2].Was == nil {
			t.Fatalf("changes after the repair: %+v", got)
		}
	})

	t.Run("policies", func(t *testing.T) {
		tests := []struct {
			policy       StateErrorPolicy
			known        *State // stored before the damage; nil: damaged before the start
			wantEnabled  bool
			wantUnchange bool // the known state itself
		}{
			{StateErrorKeep, &State{Enabled: true}, true, true},
			{StateErrorKeep, &State{}, false, true},
			{StateErrorKeep, nil, true, false},
			{StateErrorClosed, &State{}, true, false},
			{StateErrorClosed, nil, true, false},
			{StateErrorOpen, &State{Enabled: true}, false, false},
			{StateErrorOpen, nil, false, false},
		}
		for _, tt := range tests {
			name := tt.policy.String() + map[bool]string{true: " known", false: " at start"}[tt.known != nil]
			t.Run(name, func(t *testing.T) {
				st := newMemStorage()
				r := NewRegistry(st)
				var sw *Switch
				if tt.known != nil {
					sw, _ = r.Register(ctx, "shop", Options{OnStateError: tt.policy})
					if _, err := r.Set(ctx, "shop", *tt.known); err != nil {
						t.Fatal(err)
					}
					known := sw.State()
					damage(st, "shop", "")
					_ = r.Refresh(ctx)
					if (sw.State() == known) != tt.wantUnchange {
						t.Errorf("kept the known state: %v, want %v", sw.State() == known, tt.wantUnchange)
					}
				} else {
					damage(st, "shop", "")
					sw, _ = r.Register(ctx, "shop", Options{OnStateError: tt.policy})
				}
				if sw.Err() == nil || sw.State().Enabled != tt.wantEnabled {
					t.Fatalf("state %+v, error %v; want enabled %v", sw.State(), sw.Err(), tt.wantEnabled)
				}
				before := sw.State()
				_ = r.Refresh(ctx)
				if sw.State() != before {
					t.Error("the state of an unchanged damage changes at every read")
				}
			})
		}
	})

	t.Run("a reload inherits what the running registry knows", func(t *testing.T) {
		st := newMemStorage()
		old := NewRegistry(st)
		var oldChanges changes
		oldChanges.record(old)
		swOld, _ := old.Register(ctx, "shop", Options{})
		if _, err := old.Set(ctx, "shop", State{}); err != nil {
			t.Fatal(err)
		}
		damage(st, "shop", "{")
		_ = old.Refresh(ctx)

		next := NewRegistry(st)
		var nextChanges changes
		nextChanges.record(next)
		next.Inherit(old)
		sw, _ := next.Register(ctx, "shop", Options{})
		if sw.State().Enabled || sw.Err() == nil {
			t.Fatalf("after a reload: %+v, %v; want the known state (off) and the error", sw.State(), sw.Err())
		}
		if len(nextChanges) != 0 {
			t.Fatalf("the reload reported an error already reported: %+v", nextChanges)
		}
		next.Inherit(nil)
		damage(st, "brand", "{")
		if other, _ := next.Register(ctx, "brand", Options{}); !other.State().Enabled {
			t.Fatal("brand, damaged and unknown to the old registry, is not held back")
		}

		// Without Inherit, as after a process start: nothing known.
		fresh := NewRegistry(st)
		swFresh, _ := fresh.Register(ctx, "shop", Options{})
		if !swFresh.State().Enabled {
			t.Fatal("a start with a damaged state does not hold the site back")
		}

		// The old registry's switch is left alone; repairing through the
		// new one tells the new one's OnChange.
		if _, err := next.Set(ctx, "shop", State{}); err != nil {
			t.Fatal(err)
		}
		if len(nextChanges) != 2 || nextChanges[len(nextChanges)-1].Err != nil {
			t.Fatalf("changes of the new registry: %+v", nextChanges)
		}
		_ = swOld
		next.Inherit(next) // never its own previous
		if next.prev != nil {
			t.Fatal("a registry inherits from itself")
		}
	})

	t.Run("a removed damaged value brings back the default", func(t *testing.T) {
		st := newMemStorage()
		r := NewRegistry(st)
		var got changes
		got.record(r)
		damage(st, "shop", "garbage")
		sw, _ := r.Register(ctx, "shop", Options{})
		st.remove(Key("shop"))
		_ = r.Refresh(ctx)
		if sw.Err() != nil || sw.State().Enabled {
			t.Fatalf("after removal: %+v, %v", sw.State(), sw.Err())
		}
		if len(got) != 2 || got[1].Err != nil {
			t.Fatalf("changes: %+v", got)
		}
	})

	t.Run("storage failing, then answering", func(t *testing.T) {
		st := newMemStorage()
		r := NewRegistry(st)
		var got changes
		got.record(r)
		sw, _ := r.Register(ctx, "shop", Options{})
		st.fail = true
		for range 3 {
			_ = r.Refresh(ctx)
		}
		if sw.Err() == nil || sw.State().Enabled {
			t.Fatalf("storage down: %+v, %v; want the last known state (off) and the error", sw.State(), sw.Err())
		}
		st.fail = false
		_ = r.Refresh(ctx)
		if sw.Err() != nil || len(got) != 2 {
			t.Fatalf("storage back: %v, changes %+v", sw.Err(), got)
		}
	})

	t.Run("a storage outage keeps the last state and is one change, whatever the network says", func(t *testing.T) {
		st := &flakyStorage{memStorage: newMemStorage()}
		r := NewRegistry(st)
		var got changes
		got.record(r)
		sw, _ := r.Register(ctx, "shop", Options{})
		if _, err := r.Set(ctx, "shop", State{Enabled: true, Message: "Deploying"}); err != nil {
			t.Fatal(err)
		}
		kept := sw.State()
		for _, e := range []string{"read tcp 127.0.0.1:41000->127.0.0.1:6379: read: connection reset by peer", "dial tcp 127.0.0.1:6379: connect: connection refused", "dial tcp 127.0.0.1:6379: connect: connection refused", "i/o timeout"} {
			st.setErr(errors.New(e))
			_ = r.Refresh(ctx)
			if sw.State() != kept || !IsStorageError(sw.Err()) || !strings.Contains(sw.Err().Error(), e) {
				t.Fatalf("storage failing with %q: state %+v, error %v; want the last state kept and the latest error", e, sw.State(), sw.Err())
			}
			if strings.Contains(sw.Err().Error(), "damaged") {
				t.Fatalf("a storage failure reads as damage: %v", sw.Err())
			}
		}
		if len(got) != 1 || !got[0].Storage || !got[0].Known || got[0].State != kept {
			t.Fatalf("changes during one outage: %+v, want one, a storage failure with the known state kept", got)
		}
		// A damage after the outage is another reason.
		st.setErr(nil)
		st.mu.Lock()
		st.m[Key("shop")] = []byte("{")
		st.mu.Unlock()
		_ = r.Refresh(ctx)
		if len(got) != 2 || got[1].Storage || got[1].Was == nil || IsStorageError(sw.Err()) {
			t.Fatalf("a damage after the outage: changes %+v, error %v", got, sw.Err())
		}
	})

	t.Run("a storage that answers 'not found' while it fails", func(t *testing.T) {
		st := &blindStorage{memStorage: newMemStorage()}
		r := NewRegistry(st)
		var got changes
		got.record(r)
		on, _ := r.Register(ctx, "shop", Options{})
		off, _ := r.Register(ctx, "blog", Options{})
		if _, err := r.Set(ctx, "shop", State{Enabled: true}); err != nil {
			t.Fatal(err)
		}
		_ = r.Refresh(ctx)
		if on.Err() != nil || off.Err() != nil || !on.State().Enabled || off.State().Enabled || len(got) != 0 {
			t.Fatalf("storage up: %v %v, changes %+v", on.Err(), off.Err(), got)
		}
		st.setDown(true)
		_ = r.Refresh(ctx)
		_ = r.Refresh(ctx)
		for _, sw := range []*Switch{on, off} {
			if !IsStorageError(sw.Err()) || !strings.Contains(sw.Err().Error(), "the storage fails: dial tcp") {
				t.Fatalf("%s with the storage down: error %v, want a storage error", sw.Name(), sw.Err())
			}
		}
		if !on.State().Enabled || off.State().Enabled {
			t.Fatalf("storage down: shop %+v, blog %+v; want the last known states (on, off)", on.State(), off.State())
		}
		if len(got) != 2 || !got[0].Storage || !got[1].Storage {
			t.Fatalf("changes: %+v, want one storage failure per switch", got)
		}
		st.setDown(false)
		_ = r.Refresh(ctx)
		if on.Err() != nil || off.Err() != nil || !on.State().Enabled || len(got) != 4 {
			t.Fatalf("storage back: %v %v %+v, changes %+v", on.Err(), off.Err(), on.State(), got)
		}

		// Down between the first List and the reads: "not found" is
		// checked with a List after them, and is not taken for "off".
		st.downMu.Lock()
		st.goesDown = 1
		st.downMu.Unlock()
		_ = r.Refresh(ctx)
		if !IsStorageError(on.Err()) || !strings.Contains(on.Err().Error(), "fails to list") || !on.State().Enabled {
			t.Fatalf("storage down after the first List: %+v, %v; want the last state kept and a storage error", on.State(), on.Err())
		}
	})

	t.Run("a cancelled read is no storage error", func(t *testing.T) {
		r := NewRegistry(cancelStorage{})
		sw, _ := r.Register(ctx, "shop", Options{})
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_ = r.Refresh(cctx)
		if sw.Err() != nil {
			t.Fatalf("a cancelled read made the switch unreadable: %v", sw.Err())
		}
	})

	t.Run("handlers must agree on the policy", func(t *testing.T) {
		r := NewRegistry(newMemStorage())
		if _, err := r.Register(ctx, "shop", Options{OnStateError: StateErrorOpen}); err != nil {
			t.Fatal(err)
		}
		_, err := r.Register(ctx, "shop", Options{OnStateError: StateErrorClosed})
		if err == nil || !strings.Contains(err.Error(), "on_state_error open and closed") {
			t.Fatalf("conflicting policies: %v", err)
		}
	})
}

// cancelStorage fails a read when its context is done, like a network
// storage, and has nothing stored otherwise.
type cancelStorage struct{}

func (cancelStorage) Load(ctx context.Context, _ string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, errNotExist
}

func (cancelStorage) Store(context.Context, string, []byte) error { return nil }

var errNotExist = fmt.Errorf("not stored: %w", fs.ErrNotExist)

func TestParseStateErrorPolicy(t *testing.T) {
	for in, want := range map[string]StateErrorPolicy{"": StateErrorKeep, "keep": StateErrorKeep, "closed": StateErrorClosed, "open": StateErrorOpen} {
		got, err := ParseStateErrorPolicy(in)
		if err != nil || got != want {
			t.Errorf("ParseStateErrorPolicy(%q) = %v, %v", in, got, err)
		}
		if in != "" && got.String() != in {
			t.Errorf("String() = %q, want %q", got.String(), in)
		}
	}
	for _, bad := range []string{"Keep", "close", "fail-open", " open"} {
		if _, err := ParseStateErrorPolicy(bad); err == nil || !strings.Contains(err.Error(), "keep, closed or open") {
			t.Errorf("ParseStateErrorPolicy(%q): %v", bad, err)
		}
	}
}

// FuzzUnmarshalState: any stored bytes either fail to decode or decode to a
// state that storage encodes and decodes the same; never a panic.
func FuzzUnmarshalState(f *testing.F) {
	good, _ := MarshalState(State{Enabled: true, Message: "m", From: t0, Until: t0.Add(time.Hour), Updated: t0})
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(`{"enabled":false}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := UnmarshalState(b)
		if err != nil {
			return
		}
		again, err := MarshalState(s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalState(again)
		if err != nil || back.Enabled != s.Enabled || back.Message != s.Message ||
			!back.From.Equal(s.From) || !back.Until.Equal(s.Until) || !back.Updated.Equal(s.Updated) {
			t.Fatalf("%q decodes to %+v, which storage turns into %+v (%v)", b, s, back, err)
		}
	})
}

// flakyStorage fails every call with err while it is set.
type flakyStorage struct {
	*memStorage
	errMu sync.Mutex
	err   error
}

func (s *flakyStorage) setErr(err error) {
	s.errMu.Lock()
	s.err = err
	s.errMu.Unlock()
}

func (s *flakyStorage) Load(ctx context.Context, key string) ([]byte, error) {
	s.errMu.Lock()
	err := s.err
	s.errMu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.memStorage.Load(ctx, key)
}

// blindStorage answers fs.ErrNotExist to every Load while it is down, as
// caddy-storage-redis does while Redis is unreachable, and fails List.
type blindStorage struct {
	*memStorage
	downMu sync.Mutex
	down   bool
	// goesDown > 0: the storage goes down after that many more Lists.
	goesDown int
}

func (s *blindStorage) setDown(down bool) {
	s.downMu.Lock()
	s.down = down
	s.downMu.Unlock()
}

func (s *blindStorage) isDown() bool {
	s.downMu.Lock()
	defer s.downMu.Unlock()
	return s.down
}

func (s *blindStorage) Load(ctx context.Context, key string) ([]byte, error) {
	if s.isDown() {
		return nil, fs.ErrNotExist
	}
	return s.memStorage.Load(ctx, key)
}

func (s *blindStorage) List(_ context.Context, prefix string, _ bool) ([]string, error) {
	if s.isDown() {
		return nil, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	}
	s.downMu.Lock()
	if s.goesDown > 0 {
		s.goesDown--
		s.down = s.goesDown == 0
	}
	s.downMu.Unlock()
	if prefix != "frontdoor/maintenance" {
		return nil, fmt.Errorf("listed %q", prefix)
	}
	return nil, nil
}
