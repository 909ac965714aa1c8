package waitingroom

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/appstate"
	wr "github.com/frontdoor-gateway/frontdoor/modules/internal/waitingroom"
)

func init() {
	caddy.RegisterModule(App{})
}

// rooms holds every room in use, keyed by name and store, across configs:
// a config reload keeps the line and the sessions (and, with the memory
// store, the random cookie key).
var rooms = caddy.NewUsagePool()

// room is a waiting room's state (its store) shared by every handler and
// config that names it with the same store.
type room struct {
	name   string
	store  wr.Store
	secret []byte // the cookie key when no secret is configured (memory store)

	lastErrLog atomic.Int64 // unix nanoseconds
	suppressed atomic.Uint64
}

func newRoom(name, store string) (*room, error) {
	r := &room{name: name, secret: make([]byte, 32)}
	_, _ = rand.Read(r.secret) // never fails (crypto/rand panics if it cannot read)
	if store == "" {
		r.store = wr.NewMemory()
		return r, nil
	}
	s, err := wr.NewRedis(store, name)
	if err != nil {
		return nil, err
	}
	// Impatient visitors' polls are answered from memory for a few
	// seconds: the shared store sees one poll per visitor per interval.
	r.store = wr.NewPollCache(s, 0)
	return r, nil
}

// Destruct closes the store.
func (r *room) Destruct() error { return r.store.Close() }

// storeErrorLogInterval bounds how often store failures are logged.
const storeErrorLogInterval = 10 * time.Second

// logStoreError logs err unless a store error was logged in the last
// storeErrorLogInterval; the count of errors not logged is attached.
func (r *room) logStoreError(logger *zap.Logger, err error, hold bool) {
	now := time.Now().UnixNano()
	last := r.lastErrLog.Load()
	if now-last < int64(storeErrorLogInterval) || !r.lastErrLog.CompareAndSwap(last, now) {
		r.suppressed.Add(1)
		return
	}
	if errors.Is(err, wr.ErrStoreDown) {
		err = fmt.Errorf("%w (it failed less than a second ago)", err)
	}
	msg := "waiting-room store failed; admitted visitors keep their place, new ones are admitted until it answers"
	if hold {
		msg = "waiting-room store failed; admitted visitors keep their place, new ones wait until it answers"
	}
	logger.Error(msg, zap.String("room", r.name), zap.Error(err),
		zap.Uint64("errors_not_logged", r.suppressed.Swap(0)))
}

// DefaultPollInterval is how often the app reads each room's state from its
// store, for the metrics.
const DefaultPollInterval = time.Second

// App is the "waiting_room" app: the rooms of the config's waiting_room
// handlers. Handlers join it in Provision; the admin API
// (admin.api.waiting_room) reads and changes the rooms of the running
// config through it; it reads each room's state from its store every
// second for the metrics.
type App struct {
	set     *roomSet
	metrics *metrics
	ctx     caddy.Context
	logger  *zap.Logger
}

// roomSet is the config's rooms by name.
type roomSet struct {
	mu    sync.Mutex
	rooms map[string]*roomUse
}

// roomUse is a room as the config's handlers use it.
type roomUse struct {
	room     *room
	settings *wr.Settings
	config   string // what the handlers sharing the room must agree on
	event    *Event
	status   atomic.Pointer[wr.Status]
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "waiting_room",
		New: func() caddy.Module { return new(App) },
	}
}

// Provision sets up the app's metrics.
func (a *App) Provision(ctx caddy.Context) error {
	a.ctx = ctx
	a.logger = ctx.Logger()
	a.set = &roomSet{rooms: make(map[string]*roomUse)}
	m, err := newMetrics(ctx.GetMetricsRegistry(), a)
	if err != nil {
		return err
	}
	a.metrics = m
	return nil
}

// add joins a handler's room to the app. Handlers with the same name must
// agree on the room's settings and store.
func (a *App) add(h *Handler) error {
	config := fmt.Sprintf("active_users %d, new_users_per_minute %d, session_duration %s, refresh %s, queue %q, event %v-%v-%v, max_queued %d, store %q",
		h.settings.ActiveUsers, h.settings.NewUsersPerMinute, h.settings.SessionDuration, h.settings.Refresh,
		h.Queue, h.settings.Prequeue, h.settings.Start, h.settings.End, h.settings.MaxQueued, wr.Redacted(h.Store))
	a.set.mu.Lock()
	defer a.set.mu.Unlock()
	if u, ok := a.set.rooms[h.Name]; ok {
		if u.config != config || u.room != h.room {
			return fmt.Errorf("waiting_room %s is configured twice with different settings (%s; %s): every handler of a room must agree",
				h.Name, u.config, config)
		}
		return nil
	}
	a.set.rooms[h.Name] = &roomUse{room: h.room, settings: &h.settings, config: config, event: h.Event}
	return nil
}

// lookup returns the room of the name.
func (a *App) lookup(name string) (*roomUse, bool) {
	a.set.mu.Lock()
	defer a.set.mu.Unlock()
	u, ok := a.set.rooms[name]
	return u, ok
}

// names lists the rooms, sorted.
func (a *App) names() []string {
	a.set.mu.Lock()
	defer a.set.mu.Unlock()
	names := make([]string, 0, len(a.set.rooms))
	for n := range a.set.rooms {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Start publishes the app to the admin API and starts reading the rooms'
// state.
func (a *App) Start() error {
	current.Add(a)
	a.refresh()
	go a.poll()
	return nil
}

// Stop withdraws the app from the admin API; polling ends with the
// config's context.
func (a *App) Stop() error {
	current.Remove(a)
	return nil
}

func (a *App) poll() {
	t := time.NewTicker(DefaultPollInterval)
	defer t.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
			a.refresh()
		}
	}
}

// refresh reads every room's state, for the metrics.
func (a *App) refresh() {
	for _, name := range a.names() {
		u, ok := a.lookup(name)
		if !ok {
			continue
		}
		ctx, cancel := context.WithTimeout(a.ctx, time.Second)
		st, err := u.room.store.Status(ctx, u.settings)
		cancel()
		if err != nil {
			if c := a.logger.Check(zap.DebugLevel, "reading waiting-room state failed"); c != nil {
				c.Write(zap.String("room", name), zap.Error(err))
			}
			continue
		}
		u.status.Store(&st)
	}
}

// current is the started apps, for the admin API, which outlives configs.
var current appstate.Started[App]

// getApp returns the waiting_room app of ctx's config.
func getApp(ctx caddy.Context) (*App, error) { return appstate.Get[App](ctx, "waiting_room") }

// Interface guards
var (
	_ caddy.App         = (*App)(nil)
	_ caddy.Provisioner = (*App)(nil)
	_ caddy.Destructor  = (*room)(nil)
)
