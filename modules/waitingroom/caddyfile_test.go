package waitingroom

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	start := time.Date(2026, 12, 24, 10, 0, 0, 0, time.FixedZone("", 9*3600))
	tests := []struct {
		name    string
		input   string
		want    Handler
		wantErr string
	}{
		{"minimal", `waiting_room tickets {
			active_users 500
		}`, Handler{Name: "tickets", ActiveUsers: 500}, ""},
		{"everything", `waiting_room tickets {
			active_users 500
			new_users_per_minute 300
			session_duration 5m
			queue random
			event {
				prequeue 2026-12-24T09:50:00+09:00
				start    2026-12-24T10:00:00+09:00
				end      2026-12-24T12:00:00+09:00
			}
			store redis-cluster://10.0.0.1:7000,10.0.0.2:7000
			store_timeout 50ms
			on_store_error hold
			secret new-secret-0123456789abcdef
			secret old-secret-0123456789abcdef
			cookie_domain .example.com
			page /srv/queue.html
			refresh 15s
			status 503
			max_queued 5000
			site_name "Example Tickets"
		}`, Handler{
			Name: "tickets", ActiveUsers: 500, NewUsersPerMinute: 300, SessionDuration: caddy.Duration(5 * time.Minute),
			Queue: "random", Event: &Event{Prequeue: start.Add(-10 * time.Minute), Start: start, End: start.Add(2 * time.Hour)},
			Store: "redis-cluster://10.0.0.1:7000,10.0.0.2:7000", StoreTimeout: caddy.Duration(50 * time.Millisecond),
			OnStoreError: "hold", Secrets: []string{"new-secret-0123456789abcdef", "old-secret-0123456789abcdef"},
			CookieDomain: ".example.com", Page: "/srv/queue.html", Refresh: caddy.Duration(15 * time.Second),
			Status: 503, MaxQueued: 5000, SiteName: "Example Tickets",
		}, ""},
		{"no name", `waiting_room {
			active_users 5
		}`, Handler{}, "missing room name"},
		{"bad name", `waiting_room "a b" {
			active_users 5
		}`, Handler{}, "room name"},
		{"two names", `waiting_room a b`, Handler{}, "wrong argument count"},
		{"no active_users", `waiting_room tickets`, Handler{}, "active_users is required"},
		{"zero active_users", `waiting_room tickets {
			active_users 0
		}`, Handler{}, "active_users"},
		{"bad rate", `waiting_room tickets {
			active_users 5
			new_users_per_minute fast
		}`, Handler{}, "new_users_per_minute"},
		{"sub-second session", `waiting_room tickets {
			active_users 5
			session_duration 500ms
		}`, Handler{}, "session_duration"},
		{"long refresh", `waiting_room tickets {
			active_users 5
			refresh 2h
		}`, Handler{}, "refresh"},
		{"queue", `waiting_room tickets {
			active_users 5
			queue lifo
		}`, Handler{}, "queue"},
		{"event without start", `waiting_room tickets {
			active_users 5
			event {
				end 2026-12-24T12:00:00+09:00
			}
		}`, Handler{}, "start is required"},
		{"event time", `waiting_room tickets {
			active_users 5
			event {
				start tomorrow
			}
		}`, Handler{}, "RFC 3339"},
		{"event order", `waiting_room tickets {
			active_users 5
			event {
				prequeue 2026-12-24T11:00:00+09:00
				start 2026-12-24T10:00:00+09:00
			}
		}`, Handler{}, "prequeue is after start"},
		{"event key", `waiting_room tickets {
			active_users 5
			event {
				open 2026-12-24T10:00:00+09:00
			}
		}`, Handler{}, "unrecognized event subdirective"},
		{"bad store", `waiting_room tickets {
			active_users 5
			store mysql://x
			secret s-0123456789abcdef
		}`, Handler{}, "store"},
		{"store without secret", `waiting_room tickets {
			active_users 5
			store redis://127.0.0.1:6379/0
		}`, Handler{}, "needs a secret"},
		{"on_store_error", `waiting_room tickets {
			active_users 5
			on_store_error deny
		}`, Handler{}, "on_store_error"},
		{"cookie_domain", `waiting_room tickets {
			active_users 5
			cookie_domain "a b"
		}`, Handler{}, "cookie_domain"},
		{"redirect status", `waiting_room tickets {
			active_users 5
			status 302
		}`, Handler{}, "redirect"},
		{"unknown", `waiting_room tickets {
			active_users 5
			capacity 9
		}`, Handler{}, "unrecognized subdirective"},
		{"missing value", `waiting_room tickets {
			active_users
		}`, Handler{}, "wrong argument count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Handler
			err := got.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "Testfile:") {
					t.Fatalf("error %v does not name the file and line", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// FuzzUnmarshalCaddyfile checks that parsing never panics and that whatever
// it accepts also compiles (provisioning less the page file and the store).
func FuzzUnmarshalCaddyfile(f *testing.F) {
	f.Add("waiting_room t {\n active_users 5\n event {\n start 2026-12-24T10:00:00Z\n }\n}")
	f.Add("waiting_room t {\n active_users 1\n store redis://h:1/0\n secret x\n refresh 1s\n}")
	f.Add("waiting_room t {\n active_users 1\n status 599\n max_queued 1\n cookie_domain a.b\n}")
	f.Fuzz(func(t *testing.T, input string) {
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
			return
		}
		h.Page = ""
		if err := h.compile(); err != nil {
			t.Fatalf("accepted %q but compiling failed: %v", input, err)
		}
		if h.Store == "" {
			cfg := newConfig(t)
			if err := cfg.try(&h); err != nil {
				t.Fatalf("accepted %q but Provision failed: %v", input, err)
			}
		}
	})
}
