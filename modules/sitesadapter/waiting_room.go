package sitesadapter

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/redisurl"
)

// waitingRoomConfig is a site's waiting_room: key.
type waitingRoomConfig struct {
	At at
	// Name names the room (default: the site's name); sites naming the
	// same room share its line.
	Name str `yaml:"name"`
	// Paths are the request paths that wait (Caddy path patterns, like
	// /book*); default: every request of the site.
	Paths             []str             `yaml:"paths"`
	ActiveUsers       int               `yaml:"active_users"`
	NewUsersPerMinute int               `yaml:"new_users_per_minute"`
	SessionDuration   str               `yaml:"session_duration"`
	Queue             str               `yaml:"queue"`
	Event             *waitingRoomEvent `yaml:"event"`
	Store             str               `yaml:"store"`
	StoreTimeout      str               `yaml:"store_timeout"`
	OnStoreError      str               `yaml:"on_store_error"`
	// Secret is one secret, Secrets several (rotation: the first signs).
	Secret       str   `yaml:"secret"`
	Secrets      []str `yaml:"secrets"`
	CookieDomain str   `yaml:"cookie_domain"`
	Page         str   `yaml:"page"`
	Refresh      str   `yaml:"refresh"`
	Status       int   `yaml:"status"`
	MaxQueued    int   `yaml:"max_queued"`
	SiteName     str   `yaml:"site_name"`
}

type waitingRoomEvent struct {
	At       at
	Prequeue str `yaml:"prequeue"`
	Start    str `yaml:"start"`
	End      str `yaml:"end"`
}

// waitingRoomJSON mirrors http.handlers.waiting_room.
type waitingRoomJSON struct {
	Name              string                   `json:"name,omitempty"`
	Match             caddyhttp.RawMatcherSets `json:"match,omitempty"`
	ActiveUsers       int                      `json:"active_users,omitempty"`
	NewUsersPerMinute int                      `json:"new_users_per_minute,omitempty"`
	SessionDuration   caddy.Duration           `json:"session_duration,omitempty"`
	Queue             string                   `json:"queue,omitempty"`
	Event             *waitingRoomEJS          `json:"event,omitempty"`
	Store             string                   `json:"store,omitempty"`
	StoreTimeout      caddy.Duration           `json:"store_timeout,omitempty"`
	OnStoreError      string                   `json:"on_store_error,omitempty"`
	Secrets           []string                 `json:"secrets,omitempty"`
	CookieDomain      string                   `json:"cookie_domain,omitempty"`
	Page              string                   `json:"page,omitempty"`
	Refresh           caddy.Duration           `json:"refresh,omitempty"`
	Status            int                      `json:"status,omitempty"`
	MaxQueued         int                      `json:"max_queued,omitempty"`
	SiteName          string                   `json:"site_name,omitempty"`
}

type waitingRoomEJS struct {
	Prequeue string `json:"prequeue,omitempty"`
	Start    string `json:"start,omitempty"`
	End      string `json:"end,omitempty"`
}

// roomUse is the first site to configure a waiting room.
type roomUse struct {
	site     string
	at       at
	settings string
}

var cookieDomainRE = regexp.MustCompile(`^\.?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// maxUsers bounds active_users and new_users_per_minute, as the module does.
const maxUsers = 10_000_000

// waitingRoom translates a site's waiting_room: into the handler (and its
// module name), inside a subroute matching its paths when it has some.
func (b *builder) waitingRoom(s *site, w *waitingRoomConfig) (any, string) {
	errs := b.errs
	j := waitingRoomJSON{
		Name:              w.Name.v,
		ActiveUsers:       w.ActiveUsers,
		NewUsersPerMinute: w.NewUsersPerMinute,
		SessionDuration:   b.durationIn(s, "waiting_room.session_duration", w.SessionDuration, time.Second, 24*time.Hour),
		Queue:             w.Queue.v,
		Store:             w.Store.v,
		StoreTimeout:      b.duration(s, "waiting_room.store_timeout", w.StoreTimeout),
		OnStoreError:      w.OnStoreError.v,
		CookieDomain:      w.CookieDomain.v,
		Page:              w.Page.v,
		Refresh:           b.durationIn(s, "waiting_room.refresh", w.Refresh, time.Second, time.Hour),
		Status:            w.Status,
		MaxQueued:         w.MaxQueued,
		SiteName:          w.SiteName.v,
	}
	if j.Name == "" {
		j.Name = s.name
	} else if !stateNameRE.MatchString(j.Name) {
		errs.add(w.Name.at, "site %q: waiting_room name %q: use 1 to 64 letters, digits, _, . or -, starting with a letter or digit", s.name, j.Name)
	}
	if w.ActiveUsers < 1 || w.ActiveUsers > maxUsers {
		errs.add(w.At, "site %q: waiting_room needs active_users, a whole number from 1 to %d (got %d)", s.name, maxUsers, w.ActiveUsers)
	}
	if w.NewUsersPerMinute < 0 || w.NewUsersPerMinute > maxUsers {
		errs.add(w.At, "site %q: waiting_room new_users_per_minute %d: expected 1 to %d", s.name, w.NewUsersPerMinute, maxUsers)
	}
	switch j.Queue {
	case "", "fifo", "random":
	default:
		errs.add(w.Queue.at, "site %q: waiting_room queue %q: expected fifo or random", s.name, j.Queue)
	}
	switch j.OnStoreError {
	case "", "admit", "hold":
	default:
		errs.add(w.OnStoreError.at, "site %q: waiting_room on_store_error %q: expected admit or hold", s.name, j.OnStoreError)
	}
	if w.Status != 0 && (w.Status < 200 || w.Status > 599 || (w.Status >= 300 && w.Status < 400)) {
		errs.add(w.At, "site %q: waiting_room status %d: expected a 2xx, 4xx or 5xx status", s.name, w.Status)
	}
	if w.MaxQueued < 0 {
		errs.add(w.At, "site %q: waiting_room max_queued %d must be zero or more", s.name, w.MaxQueued)
	}
	if j.CookieDomain != "" && !cookieDomainRE.MatchString(j.CookieDomain) {
		errs.add(w.CookieDomain.at, "site %q: waiting_room cookie_domain %q is not a domain name", s.name, j.CookieDomain)
	}
	if j.Store != "" && !strings.Contains(j.Store, "{") {
		if err := redisurl.Check(j.Store); err != nil {
			errs.add(w.Store.at, "site %q: waiting_room store %q: %v", s.name, redisurl.Redact(j.Store), err)
		}
	}
	if w.Secret.v != "" {
		j.Secrets = append(j.Secrets, w.Secret.v)
	}
	for _, sec := range w.Secrets {
		j.Secrets = append(j.Secrets, sec.v)
	}
	for i, sec := range j.Secrets {
		if sec == "" {
			errs.add(w.At, "site %q: waiting_room secret %d is empty", s.name, i+1)
		}
	}
	if j.Store != "" && len(j.Secrets) == 0 {
		errs.add(w.Store.at, "site %q: waiting_room store is shared by several gateways: set secret (the same on every gateway, like \"{env.FD_WAITING_ROOM_SECRET}\") to sign the cookie", s.name)
	}
	if e := w.Event; e != nil {
		j.Event = b.roomEvent(s, e)
	}

	settings := fmt.Sprintf("%d %d %d %s %v %s %d %s", j.ActiveUsers, j.NewUsersPerMinute, j.SessionDuration, j.Queue, j.Event, j.Store, j.Refresh, strings.Join(j.Secrets, ","))
	if prev, ok := b.rooms[j.Name]; ok && prev.settings != settings {
		errs.add(w.At, "site %q: waiting room %q is shared with site %q (%s) with different settings: sites sharing a room share its line and limits", s.name, j.Name, prev.site, prev.at)
	} else if !ok {
		b.rooms[j.Name] = roomUse{site: s.name, at: w.At, settings: settings}
	}

	if len(w.Paths) == 0 {
		return j, "waiting_room"
	}
	var paths caddyhttp.MatchPath
	for _, p := range w.Paths {
		if !strings.HasPrefix(p.v, "/") && !strings.HasPrefix(p.v, "*") {
			errs.add(p.at, "site %q: waiting_room paths: %q must start with / (like /book*)", s.name, p.v)
			continue
		}
		paths = append(paths, p.v)
	}
	// The room's own matcher, not a route's: the handler sees every request
	// and removes a client's X-Waiting-Room-Session from those that do not
	// wait too.
	j.Match = caddyhttp.RawMatcherSets{caddy.ModuleMap{"path": caddyconfig.JSON(paths, &b.warnings)}}
	return j, "waiting_room"
}

// roomEvent checks an event's times (RFC 3339) and their order.
func (b *builder) roomEvent(s *site, e *waitingRoomEvent) *waitingRoomEJS {
	errs := b.errs
	parse := func(what string, v str) (time.Time, bool) {
		if v.v == "" {
			return time.Time{}, true
		}
		t, err := time.Parse(time.RFC3339, v.v)
		if err != nil {
			errs.add(v.at, "site %q: waiting_room event %s %q: expected an RFC 3339 time like 2026-12-24T10:00:00+09:00", s.name, what, v.v)
			return time.Time{}, false
		}
		return t, true
	}
	pre, ok1 := parse("prequeue", e.Prequeue)
	start, ok2 := parse("start", e.Start)
	end, ok3 := parse("end", e.End)
	switch {
	case e.Start.v == "":
		errs.add(e.At, "site %q: waiting_room event needs a start", s.name)
	case !ok1 || !ok2 || !ok3:
	case !pre.IsZero() && pre.After(start):
		errs.add(e.Prequeue.at, "site %q: waiting_room event prequeue is after its start", s.name)
	case !end.IsZero() && !end.After(start):
		errs.add(e.End.at, "site %q: waiting_room event end is not after its start", s.name)
	}
	return &waitingRoomEJS{Prequeue: e.Prequeue.v, Start: e.Start.v, End: e.End.v}
}

// durationIn is duration, within [least, most].
func (b *builder) durationIn(s *site, what string, v str, least, most time.Duration) caddy.Duration {
	d := b.duration(s, what, v)
	if d != 0 && (time.Duration(d) < least || time.Duration(d) > most) {
		b.errs.add(v.at, "%s%s %q: expected %s to %s", sitePrefix(s), what, v.v, least, most)
		return 0
	}
	return d
}
