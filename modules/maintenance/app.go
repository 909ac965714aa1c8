package maintenance

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/appstate"
	maint "github.com/frontdoor-gateway/frontdoor/modules/internal/maintenance"
)

func init() {
	caddy.RegisterModule(App{})
}

// DefaultPollInterval is how often switches are re-read from storage when
// poll_interval is not set: a switch flipped through one gateway holds on
// every gateway sharing the storage within two seconds (a poll, plus the
// read).
const DefaultPollInterval = time.Second

// App is the "maintenance" app: the switches of every maintenance handler in
// the config, kept in Caddy's configured storage under
// frontdoor/maintenance/<name>.json. Handlers get it with ctx.App in
// Provision; the admin API (admin.api.maintenance) switches it at run time
// without a config reload. Storage is re-read every poll_interval, so that
// every instance sharing the storage follows a switch within seconds.
//
// A stored switch that cannot be read (a damaged file, a failing storage)
// is what its handlers' on_state_error says, is reported by the admin API
// ("readable": false, "error") and by frontdoor_maintenance_state_error, and
// is logged once when it becomes unreadable, when the reason changes (a
// damage, the storage failing) and when it is readable again; not at every
// poll, nor at each new network error while the storage is down. A config reload keeps what
// the running config knew of each switch.
type App struct {
	// PollInterval is how often the switches are re-read from storage, to
	// pick up changes made through other instances that share it.
	// Default: 1s. A negative value turns polling off.
	PollInterval caddy.Duration `json:"poll_interval,omitempty"`

	registry *maint.Registry
	metrics  *metrics
	ctx      caddy.Context
	logger   *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "maintenance",
		New: func() caddy.Module { return new(App) },
	}
}

// Provision sets up the registry over the config's storage.
func (a *App) Provision(ctx caddy.Context) error {
	a.ctx = ctx
	a.logger = ctx.Logger()
	if a.PollInterval == 0 {
		a.PollInterval = caddy.Duration(DefaultPollInterval)
	}
	stor := ctx.Storage()
	if stor == nil {
		return fmt.Errorf("maintenance: no storage configured")
	}
	a.registry = maint.NewRegistry(stor)
	a.registry.OnChange(a.logChange)
	if prev := current.Current(); prev != nil {
		a.registry.Inherit(prev.registry)
	}
	m, err := newMetrics(ctx.GetMetricsRegistry(), a.registry)
	if err != nil {
		return err
	}
	a.metrics = m
	return nil
}

// register adds a handler's maintenance to the app and loads its state. A
// state that cannot be read is logged by logChange, not returned.
func (a *App) register(name string, opts maint.Options) (*maint.Switch, error) {
	ctx, cancel := context.WithTimeout(a.ctx, 10*time.Second)
	defer cancel()
	return a.registry.Register(ctx, name, opts)
}

// logChange logs a change in the readability of a stored switch.
func (a *App) logChange(c maint.Change) {
	if a.ctx.Err() != nil {
		return // this config is stopping; the next one reports for itself
	}
	on := "off"
	if c.State.Active(time.Now()) {
		on = "on"
	}
	fields := []zap.Field{
		zap.String("name", c.Name),
		zap.String("key", maint.Key(c.Name)),
		zap.String("maintenance", on),
	}
	if c.Err == nil {
		a.logger.Info("maintenance state readable again", fields...)
		return
	}
	var meanwhile string
	switch {
	case c.Policy != maint.StateErrorKeep:
		meanwhile = "maintenance is " + on + " while it cannot be (on_state_error " + c.Policy.String() + ")"
	case c.Known:
		meanwhile = "the last known state is kept (on_state_error keep)"
	default:
		meanwhile = "no state is known since the start, so maintenance is on (on_state_error keep)"
	}
	fields = append(fields, zap.String("on_state_error", c.Policy.String()), zap.Error(c.Err))
	what, remedy := "maintenance state is damaged in storage", "a switch through the admin API writes a good one"
	if c.Storage {
		what, remedy = "maintenance state cannot be read: the storage fails", "it is read again at every poll, and switches through the admin API fail until the storage answers"
	}
	if c.Was == nil {
		a.logger.Error(what+"; "+meanwhile+"; "+remedy, fields...)
		return
	}
	a.logger.Error(what+" (it was unreadable for another reason); "+meanwhile+"; "+remedy, append(fields, zap.String("previous_error", c.Was.Error()))...)
}

// Start publishes the app to the admin API and begins following storage.
func (a *App) Start() error {
	// Publish first, then pick up anything written through the previous
	// config while this one was provisioned: writes and refreshes are
	// serialized, so no write can fall between the two configs.
	a.registry.Inherit(nil) // registration is over: let the previous config go
	current.Add(a)
	a.refresh()
	if a.PollInterval > 0 {
		go a.poll(time.Duration(a.PollInterval))
	}
	return nil
}

// Stop withdraws the app from the admin API. Polling ends with the config's
// context.
func (a *App) Stop() error {
	current.Remove(a)
	return nil
}

func (a *App) poll(every time.Duration) {
	t := time.NewTicker(every)
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

// refresh re-reads every switch. Read errors are in the switches and
// reported by logChange when they change, so they are not logged here.
func (a *App) refresh() {
	ctx, cancel := context.WithTimeout(a.ctx, 10*time.Second)
	defer cancel()
	_ = a.registry.Refresh(ctx)
}

// current is the started apps, for the admin API, which outlives configs.
var current appstate.Started[App]

// getApp returns the maintenance app of ctx's config.
func getApp(ctx caddy.Context) (*App, error) { return appstate.Get[App](ctx, "maintenance") }

// Interface guards
var (
	_ caddy.App         = (*App)(nil)
	_ caddy.Provisioner = (*App)(nil)
)
