// Package appstate holds what frontdoor's Caddy apps share: finding an app
// of a config, and the started apps of a kind for code that outlives
// configs (admin API modules, which Caddy provisions apart from them), and
// how their admin API endpoints answer.
package appstate

import (
	"fmt"
	"slices"
	"sync"

	"github.com/caddyserver/caddy/v2"
)

// Get returns the app name of ctx's config, loading it (with its defaults)
// when the config does not configure it.
func Get[T any](ctx caddy.Context, name string) (*T, error) {
	v, err := ctx.App(name)
	if err != nil {
		return nil, fmt.Errorf("loading %s app: %w", name, err)
	}
	app, ok := v.(*T)
	if !ok {
		return nil, fmt.Errorf("%s app has unexpected type %T", name, v)
	}
	return app, nil
}

// Started tracks the started apps of one kind. The newest is the running
// config's; when a new config fails to start and its app is stopped, the
// previous one is current again. The zero value is ready to use.
type Started[T any] struct {
	mu   sync.RWMutex
	apps []*T // oldest first
}

// Add records a started app.
func (s *Started[T]) Add(a *T) {
	s.mu.Lock()
	s.apps = append(s.apps, a)
	s.mu.Unlock()
}

// Remove forgets a stopped app.
func (s *Started[T]) Remove(a *T) {
	s.mu.Lock()
	s.apps = slices.DeleteFunc(s.apps, func(x *T) bool { return x == a })
	s.mu.Unlock()
}

// Current returns the newest started app, nil when none is.
func (s *Started[T]) Current() *T {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.apps) == 0 {
		return nil
	}
	return s.apps[len(s.apps)-1]
}
