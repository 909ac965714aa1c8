package maintenance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
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

// StateErrorPolicy says what a switch is while its stored state cannot be
// read (a damaged file, a storage that fails): see Options.OnStateError.
type StateErrorPolicy uint8

// The values of StateErrorPolicy; the zero value is StateErrorKeep.
const (
	// StateErrorKeep keeps the last state read from storage or written
	// through this process (across config reloads); with none known (a
	// process that started with the switch unreadable), maintenance is on.
	StateErrorKeep StateErrorPolicy = iota
	// StateErrorClosed turns maintenance on while the state is unreadable.
	StateErrorClosed
	// StateErrorOpen turns maintenance off while the state is unreadable.
	StateErrorOpen
)

// ParseStateErrorPolicy reads "keep", "closed" or "open"; "" is keep.
func ParseStateErrorPolicy(s string) (StateErrorPolicy, error) {
	switch s {
	case "", "keep":
		return StateErrorKeep, nil
	case "closed":
		return StateErrorClosed, nil
	case "open":
		return StateErrorOpen, nil
	}
	return 0, fmt.Errorf("on_state_error %q: expected keep, closed or open", s)
}

// String returns the name ParseStateErrorPolicy reads.
func (p StateErrorPolicy) String() string {
	switch p {
	case StateErrorClosed:
		return "closed"
	case StateErrorOpen:
		return "open"
	}
	return "keep"
}

// Options configure a switch. Every handler of a name must agree on them.
type Options struct {
	// Enabled is the state while storage holds nothing for the name.
	Enabled bool
	// OnStateError is what the switch is while its stored state cannot be
	// read.
	OnStateError StateErrorPolicy
}

// Change reports that the stored state of a switch became unreadable, that
// the reason changed, or that it is readable again.
type Change struct {
	Name string
	// Err is why the state cannot be read; nil when it is readable again.
	Err error
	// Was is the previous reason; nil when the state was readable.
	Was error
	// State is what the switch is after the change.
	State *State
	// Policy is the switch's OnStateError.
	Policy StateErrorPolicy
	// Known reports whether a state read or written before is being kept.
	Known bool
	// Storage reports that the storage failed (unreachable, timing out,
	// refusing), as opposed to a stored value that is damaged.
	Storage bool
}

// storageError marks the error of a read that the storage failed, as
// opposed to a value that was read and is damaged.
type storageError struct{ err error }

func (e storageError) Error() string { return e.err.Error() }
func (e storageError) Unwrap() error { return e.err }

// IsStorageError reports whether err, a switch's Err, says that the storage
// failed rather than that the stored value is damaged.
func IsStorageError(err error) bool {
	var s storageError
	return errors.As(err, &s)
}

// sameReason reports whether two read errors are one reason: the same
// damage, or the storage failing (whatever the network said each time: a
// reset, then a refused connection, is one outage).
func sameReason(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	if IsStorageError(a) && IsStorageError(b) {
		return true
	}
	return a.Error() == b.Error()
}

// Switch is the live state of one named maintenance. Readers on the request
// path call State, which never blocks.
type Switch struct {
	name  string
	opts  Options
	state atomic.Pointer[State] // what the switch is, unreadable or not
	fault atomic.Pointer[error] // why the stored state cannot be read; nil when it can

	// Guarded by Registry.io:
	raw     []byte // last good bytes read from or written to storage
	defined bool   // raw holds a stored state
	known   *State // last state read or written (def when nothing is stored); nil: none yet
	def     *State // the configured default, while nothing is stored
	closed  *State // maintenance on, for an unreadable switch
	open    *State // maintenance off, for an unreadable switch
}

// Name is the name of the maintenance.
func (s *Switch) Name() string { return s.name }

// State returns what the switch is now: the stored state, or, while it
// cannot be read, what Options.OnStateError says. It never returns nil.
func (s *Switch) State() *State { return s.state.Load() }

// Err returns why the stored state cannot be read, nil when it can.
func (s *Switch) Err() error {
	if e := s.fault.Load(); e != nil {
		return *e
	}
	return nil
}

// Document returns the JSON form of the switch at now: State's, with
// readable false and the error while the stored state cannot be read.
func (s *Switch) Document(now time.Time) Document {
	d := s.State().Document(s.name, now)
	if err := s.Err(); err != nil {
		d.Readable = false
		d.Error = err.Error()
	}
	return d
}

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
	prev     *Registry    // switches start from its knowledge; guarded by io
	onChange func(Change) // guarded by io
}

// NewRegistry returns an empty registry over storage.
func NewRegistry(storage Storage) *Registry {
	return &Registry{storage: storage, now: time.Now, switches: make(map[string]*Switch)}
}

// OnChange sets the function told, in order, each time the stored state of
// a switch becomes unreadable, is unreadable for another reason (another
// damage, or the storage failing after a damage or the other way round;
// not each new network error of one storage outage), or is readable again;
// not at every read. It is called with the registry's
// storage lock held, so it must be quick and not call the registry.
func (r *Registry) OnChange(f func(Change)) {
	r.io.Lock()
	r.onChange = f
	r.io.Unlock()
}

// Inherit makes switches registered from now on start from what prev knows
// of the same name: its last good state and its read error. A config reload
// thus keeps the last known state of a switch that is unreadable, and does
// not report an error that was already reported. Inherit(nil) ends it (the
// new registry must not keep the old one alive).
func (r *Registry) Inherit(prev *Registry) {
	if prev == r {
		prev = nil
	}
	r.io.Lock()
	r.prev = prev
	r.io.Unlock()
}

// Register adds the maintenance name with its options and loads its state
// from storage. Registering a name twice returns the same switch; the
// options must agree. A state that cannot be read (a storage error, a
// damaged value) does not fail the registration: the switch is what
// opts.OnStateError says, Err tells why, the OnChange function is told, and
// every Refresh tries again.
func (r *Registry) Register(ctx context.Context, name string, opts Options) (*Switch, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("invalid maintenance name %q: use 1 to 64 letters, digits, '_', '.' or '-'", name)
	}
	r.io.Lock()
	defer r.io.Unlock()
	if sw, ok := r.Lookup(name); ok {
		switch {
		case sw.opts.Enabled != opts.Enabled:
			return nil, fmt.Errorf("maintenance %q is configured both enabled and disabled by default", name)
		case sw.opts.OnStateError != opts.OnStateError:
			return nil, fmt.Errorf("maintenance %q is configured with both on_state_error %s and %s", name, sw.opts.OnStateError, opts.OnStateError)
		}
		return sw, nil
	}
	sw := &Switch{name: name, opts: opts, def: &State{Enabled: opts.Enabled}, closed: &State{Enabled: true}, open: &State{}}
	if r.prev != nil {
		if old, ok := r.prev.Lookup(name); ok {
			r.prev.io.Lock()
			sw.known = old.known
			r.prev.io.Unlock()
			sw.fault.Store(old.fault.Load())
		}
	}
	sw.state.Store(sw.effective(sw.Err()))
	// Only Register adds switches, under r.io: the name is still free.
	r.mu.Lock()
	r.switches[name] = sw
	r.mu.Unlock()
	_ = r.refreshLocked(ctx, sw, new(missingCheck))
	return sw, nil
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
// that stays. A successful Set replaces a damaged stored value: the switch
// is readable again.
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
	sw.raw, sw.defined, sw.known = b, true, &s
	r.settleLocked(sw, nil)
	return s, nil
}

// Refresh reloads every switch from storage, so that writes by other
// instances sharing the storage take effect. It returns the read errors
// joined (each also in its switch's Err).
func (r *Registry) Refresh(ctx context.Context) error {
	r.io.Lock()
	defer r.io.Unlock()
	var errs []error
	// One List first: while the storage is down, every switch is told so
	// at the cost of one call, not one slow failing call per switch.
	if err := listErr(ctx, r.storage); err != nil && ctx.Err() == nil {
		for _, sw := range r.Switches() {
			err := storageError{fmt.Errorf("maintenance %q cannot be loaded from storage (%s): the storage fails: %w", sw.name, Key(sw.name), err)}
			r.settleLocked(sw, err)
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
	mc := new(missingCheck)
	for _, sw := range r.Switches() {
		if err := r.refreshLocked(ctx, sw, mc); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Registry) refreshLocked(ctx context.Context, sw *Switch, mc *missingCheck) error {
	b, err := r.storage.Load(ctx, Key(sw.name))
	if errors.Is(err, fs.ErrNotExist) {
		if lerr := mc.check(ctx, r.storage); lerr != nil {
			err = fmt.Errorf("the storage answers that nothing is stored, but fails to list %s: %w", KeyPrefix, lerr)
		}
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		sw.raw, sw.defined, sw.known = nil, false, sw.def
		r.settleLocked(sw, nil)
		return nil
	case err != nil:
		if ctx.Err() != nil {
			// The caller gave up (a config stopping): that says nothing
			// about the storage.
			return fmt.Errorf("loading maintenance %q: %w", sw.name, err)
		}
		err = storageError{fmt.Errorf("maintenance %q cannot be loaded from storage (%s): %w", sw.name, Key(sw.name), err)}
		r.settleLocked(sw, err)
		return err
	}
	if sw.defined && bytes.Equal(b, sw.raw) {
		r.settleLocked(sw, nil)
		return nil
	}
	s, err := UnmarshalState(b)
	if err != nil {
		err = fmt.Errorf("maintenance %q in storage (%s) is damaged: %w", sw.name, Key(sw.name), err)
		r.settleLocked(sw, err)
		return err
	}
	sw.raw, sw.defined, sw.known = b, true, &s
	r.settleLocked(sw, nil)
	return nil
}

// Lister is what a storage may do besides Load and Store (certmagic.Storage
// does): list the keys under a prefix. Some storages answer "not found"
// to every Load while they cannot reach their server (caddy-storage-redis
// while Redis is down); a List, which they report failing, tells that
// from a switch that was never written.
type Lister interface {
	List(ctx context.Context, prefix string, recursive bool) ([]string, error)
}

// missingCheck lists the switches' prefix once per refresh, the first time
// a switch is not found, and remembers the outcome.
type missingCheck struct {
	done bool
	err  error
}

// check returns the error of listing KeyPrefix in st, nil when it lists
// (or says the prefix does not exist) or st cannot list.
func (mc *missingCheck) check(ctx context.Context, st Storage) error {
	if mc.done {
		return mc.err
	}
	mc.done = true
	mc.err = listErr(ctx, st)
	return mc.err
}

// listErr lists KeyPrefix in st and returns the error, nil when it lists
// (or says the prefix does not exist) or st cannot list.
func listErr(ctx context.Context, st Storage) error {
	l, ok := st.(Lister)
	if !ok {
		return nil
	}
	if _, err := l.List(ctx, strings.TrimSuffix(KeyPrefix, "/"), false); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// settleLocked records the outcome of a read or write of sw (err: why the
// stored state cannot be read, nil when it was read or written), makes
// live what the switch is now, and tells the OnChange function when the
// readability or its reason changed. r.io is held.
func (r *Registry) settleLocked(sw *Switch, err error) {
	was := sw.Err()
	if err == nil {
		sw.fault.Store(nil)
	} else if was == nil || was.Error() != err.Error() {
		sw.fault.Store(&err)
	}
	st := sw.effective(err)
	if sw.state.Load() != st {
		sw.state.Store(st)
	}
	if !sameReason(was, err) && r.onChange != nil {
		r.onChange(Change{
			Name: sw.name, Err: err, Was: was, State: st,
			Policy:  sw.opts.OnStateError,
			Known:   err != nil && sw.known != nil && sw.opts.OnStateError == StateErrorKeep,
			Storage: IsStorageError(err),
		})
	}
}

// effective is what sw is given its read error. Guarded by Registry.io
// (Register calls it before publishing sw).
func (sw *Switch) effective(err error) *State {
	if err == nil {
		if sw.known != nil {
			return sw.known
		}
		return sw.def // not read yet: Register is about to
	}
	switch sw.opts.OnStateError {
	case StateErrorClosed:
		return sw.closed
	case StateErrorOpen:
		return sw.open
	}
	if sw.known != nil {
		return sw.known
	}
	return sw.closed
}
