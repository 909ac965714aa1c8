// Package geoipapp is the frontdoor "geoip" Caddy app: it opens the configured
// MaxMind DB files (or the embedded country database), reloads replaced files
// in the background, and answers lookups for the other frontdoor modules.
package geoipapp

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/appstate"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"

	"github.com/frontdoor-gateway/frontdoor/geoip"
)

func init() {
	caddy.RegisterModule(App{})
}

// DefaultReloadInterval is how often database files are checked for changes
// when reload_interval is not set.
const DefaultReloadInterval = time.Minute

// App holds the GeoIP databases of one config. Other modules get it with
// ctx.App("geoip"); with no databases configured it serves the embedded
// country database (ip-location-db geo-whois-asn-country, CC BY 4.0 NRO).
//
// Opened files are shared across config reloads, so a reload neither reads
// nor verifies a file again unless it changed.
type App struct {
	// Databases are paths of MaxMind DB files: country or city databases
	// (GeoIP2/GeoLite2, DB-IP, ip-location-db) and ASN databases. For each
	// field the first database that has it answers. When none of them holds
	// countries, the embedded country database is used for countries.
	Databases []string `json:"databases,omitempty"`

	// ReloadInterval is how often the files are checked for changes; a
	// changed file is verified and swapped in atomically, and a bad one keeps
	// the previous database. Default: 1m. A negative value turns reloading
	// off.
	ReloadInterval caddy.Duration `json:"reload_interval,omitempty"`

	sources []*geoip.Source
	country []*geoip.Source
	asn     []*geoip.Source
	metrics *metrics
	logger  *zap.Logger
	ctx     caddy.Context
	paths   []string // pool keys held by this config
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "geoip",
		New: func() caddy.Module { return new(App) },
	}
}

// sources are shared across configs by path, so a reload keeps the opened
// database and its reload state.
var sources = caddy.NewUsagePool()

type pooledSource struct{ *geoip.Source }

func (pooledSource) Destruct() error { return nil }

// Provision opens the databases.
func (a *App) Provision(ctx caddy.Context) error {
	a.ctx = ctx
	a.logger = ctx.Logger()
	if a.ReloadInterval == 0 {
		a.ReloadInterval = caddy.Duration(DefaultReloadInterval)
	}
	m, err := newMetrics(ctx.GetMetricsRegistry())
	if err != nil {
		return err
	}
	a.metrics = m

	for _, path := range a.Databases {
		if path == "" {
			return errors.New("geoip: empty database path")
		}
		v, _, err := sources.LoadOrNew(path, func() (caddy.Destructor, error) {
			src, err := geoip.OpenFile(path)
			if err != nil {
				return nil, err
			}
			return pooledSource{src}, nil
		})
		if err != nil {
			return fmt.Errorf("geoip: opening database %s: %w", path, err)
		}
		a.paths = append(a.paths, path)
		a.sources = append(a.sources, v.(pooledSource).Source)
	}
	for _, src := range a.sources {
		schema := src.Database().Schema()
		if schema.HasCountry() {
			a.country = append(a.country, src)
		}
		if schema.HasASN() {
			a.asn = append(a.asn, src)
		}
	}
	if len(a.country) == 0 {
		db, err := geoip.Embedded()
		if err != nil {
			return err
		}
		src := geoip.NewStaticSource(db)
		a.sources = append(a.sources, src)
		a.country = append(a.country, src)
	}
	for _, src := range a.sources {
		a.metrics.setBuildTime(src.Database())
	}
	return nil
}

// Start begins watching the database files.
func (a *App) Start() error {
	if a.ReloadInterval <= 0 || len(a.paths) == 0 {
		return nil
	}
	go a.watch(time.Duration(a.ReloadInterval))
	return nil
}

// Stop ends watching (the watcher also ends with the config's context).
func (a *App) Stop() error { return nil }

// Cleanup releases this config's hold on the shared databases.
func (a *App) Cleanup() error {
	for _, p := range a.paths {
		_, _ = sources.Delete(p)
	}
	return nil
}

func (a *App) watch(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
			a.ReloadNow()
		}
	}
}

// ReloadNow checks every database file once and swaps in the changed ones.
func (a *App) ReloadNow() {
	for _, src := range a.sources {
		changed, err := src.Reload()
		switch {
		case err != nil:
			a.metrics.reloaded("error")
			a.logger.Error("geoip database reload failed; keeping the previous database",
				zap.String("database", src.Path()), zap.Error(err))
		case changed:
			db := src.Database()
			a.metrics.reloaded("success")
			a.metrics.setBuildTime(db)
			a.logger.Info("geoip database reloaded",
				zap.String("database", src.Path()),
				zap.String("type", db.Type()),
				zap.Time("build_time", db.BuildTime()))
		}
	}
}

// Lookup returns what the databases know of ip: the country from the first
// country database that has it, the autonomous system from the first ASN
// database that has it. It never blocks on I/O.
func (a *App) Lookup(ip netip.Addr) geoip.Record {
	var rec geoip.Record
	for _, src := range a.country {
		if r := src.Lookup(ip); r.Country != "" {
			rec.Country = r.Country
			break
		}
	}
	for _, src := range a.asn {
		if r := src.Lookup(ip); r.ASN != 0 {
			rec.ASN, rec.ASNOrg = r.ASN, r.ASNOrg
			break
		}
	}
	return rec
}

// Country returns the ISO 3166-1 alpha-2 code of ip, or "" when unknown.
func (a *App) Country(ip netip.Addr) string {
	for _, src := range a.country {
		if c := src.Lookup(ip).Country; c != "" {
			return c
		}
	}
	return ""
}

// HasASN reports whether an ASN database is loaded.
func (a *App) HasASN() bool { return len(a.asn) > 0 }

// Get returns the geoip app of ctx's config, loading it with defaults (the
// embedded database) when the config does not configure it.
func Get(ctx caddy.Context) (*App, error) { return appstate.Get[App](ctx, "geoip") }

// Interface guards
var (
	_ caddy.App          = (*App)(nil)
	_ caddy.Provisioner  = (*App)(nil)
	_ caddy.CleanerUpper = (*App)(nil)
)
