package maintenance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Storage is the key-value storage the switches live in. Load returns an
// error wrapping fs.ErrNotExist for a missing key. certmagic.Storage (Caddy's
// configured storage) satisfies it.
type Storage interface {
	Load(ctx context.Context, key string) ([]byte, error)
	Store(ctx context.Context, key string, value []byte) error
}

// KeyPrefix is where switches are kept in storage: KeyPrefix + name + ".json".
const KeyPrefix = "frontdoor/maintenance/"

// Key returns the storage key of name.
func Key(name string) string { return KeyPrefix + name + ".json" }

// Switch is the live state of one named maintenance. Readers on the request
// path call State, which never blocks.
type Switch struct {
	name    string
	def     bool
	state   atomic.Pointer[State]
	raw     []byte // last bytes read from or written to storage; guarded by Registry.io
	defined bool   // stored state exists; guarded by Registry.io
}

// Name is the name of the maintenance.
func (s *Switch) Name() string { return s.name }

// State returns the current switch state. It never returns nil.
func (s *Switch) State() *State { return s.state.Load() }

// Registry holds the switches of one configuration and keeps them in step
// with storage: writes go to storage first, then to memory; Refresh picks up
// what other instances wrote.
type Registry struct {
	storage Storage
	now     func() time.Time

	// io serializes storage reads and writes with the memory updates that
	// follow them; mu guards the map only, so listing and metrics never wait
	// for a slow storage.
	io       sync.Mutex
	mu       sync.Mutex
	switches map[string]*Switch
}

// NewRegistry returns an empty registry over storage.
func NewRegistry(storage Storage) *Registry {
	return &Registry{storage: storage, now: time.Now, switches: make(map[string]*Switch)}
}

// Register adds the maintenance name with its configured default (used while
// storage holds no state for it) and loads its state from storage. Registering
// a name twice returns the same switch; the defaults must agree. A storage
// error leaves the default in place and is returned with the switch, so the
// caller can report it and carry on; the next Refresh tries again.
func (r *Registry) Register(ctx context.Context, name string, enabledByDefault bool) (*Switch, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("invalid maintenance name %q: use 1 to 64 letters, digits, '_', '.' or '-'", name)
	}
	r.io.Lock()
	defer r.io.Unlock()
	r.mu.Lock()
	if sw, ok := r.switches[name]; ok {
		r.mu.Unlock()
		if sw.def != enabledByDefault {
			return nil, fmt.Errorf("maintenance %q is configured both enabled and disabled by default", name)
		}
		return sw, nil
	}
	sw := &Switch{name: name, def: enabledByDefault}
	sw.state.Store(&State{Enabled: enabledByDefault})
	r.switches[name] = sw
	r.mu.Unlock()
	return sw, r.refreshLocked(ctx, sw)
}

// Lookup returns the switch of name.
func (r *Registry) Lookup(name string) (*Switch, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sw, ok := r.switches[name]
	return sw, ok
}

// Switches returns every switch, sorted by name.
func (r *Registry) Switches() []*Switch {
	r.mu.Lock()
	list := make([]*Switch, 0, len(r.switches))
	for _, sw := range r.switches {
		list = append(list, sw)
	}
	r.mu.Unlock()
	slices.SortFunc(list, func(a, b *Switch) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	return list
}

// Set writes the state of a registered name to storage, then makes it live,
// and returns it stamped with its Updated time. Writes are serialized and
// stamped in that order, so the write with the latest Updated is the one
// that stays.
func (r *Registry) Set(ctx context.Context, name string, s State) (State, error) {
	sw, ok := r.Lookup(name)
	if !ok {
		return State{}, fmt.Errorf("unknown maintenance %q", name)
	}
	r.io.Lock()
	defer r.io.Unlock()
	s.Updated = r.now().UTC()
	b, err := MarshalState(s)
	if err != nil {
		return State{}, err
	}
	if err := r.storage.Store(ctx, Key(name), b); err != nil {
		return State{}, fmt.Errorf("storing maintenance %q: %w", name, err)
	}
	sw.raw, sw.defined = b, true
	sw.state.Store(&s)
	return s, nil
}

// Refresh reloads every switch from storage, so that writes by other
// instances sharing the storage take effect. It returns the errors joined.
func (r *Registry) Refresh(ctx context.Context) error {
	r.io.Lock()
	defer r.io.Unlock()
	var errs []error
	for _, sw := range r.Switches() {
		if err := r.refreshLocked(ctx, sw); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Registry) refreshLocked(ctx context.Context, sw *Switch) error {
	b, err := r.storage.Load(ctx, Key(sw.name))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if sw.defined {
			sw.raw, sw.defined = nil, false
			sw.state.Store(&State{Enabled: sw.def})
		}
		return nil
	case err != nil:
		return fmt.Errorf("loading maintenance %q: %w", sw.name, err)
	}
	if sw.defined && bytes.Equal(b, sw.raw) {
		return nil
	}
	s, err := UnmarshalState(b)
	if err != nil {
		return fmt.Errorf("decoding maintenance %q from storage: %w", sw.name, err)
	}
	sw.raw, sw.defined = b, true
	sw.state.Store(&s)
	return nil
}
