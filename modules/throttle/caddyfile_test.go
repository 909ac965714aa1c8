package throttle

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    Throttle
		wantErr string
	}{
		{"minimal", `throttle api {
			rate 10r/s
		}`, Throttle{Zone: "api", Rate: "10r/s"}, ""},
		{"everything", `throttle api {
			key {http.request.header.X-Api-Key}
			rate 600r/m
			burst 20
			ipv4_prefix 24
			ipv6_prefix 48
			max_keys 5000
			allow 10.0.0.0/8 192.0.2.1
			allow 2001:db8::/32
			dry_run
			status 503
			headers off
			store redis://127.0.0.1:6379/1
			store_timeout 50ms
			on_store_error deny
		}`, Throttle{
			Zone: "api", Key: "{http.request.header.X-Api-Key}", Rate: "600r/m", Burst: 20,
			IPv4Prefix: 24, IPv6Prefix: 48, MaxKeys: 5000,
			Allow:  []string{"10.0.0.0/8", "192.0.2.1", "2001:db8::/32"},
			DryRun: true, StatusCode: 503, DisableHeaders: true,
			Store: "redis://127.0.0.1:6379/1", StoreTimeout: caddy.Duration(50 * time.Millisecond), OnStoreError: "deny",
		}, ""},
		{"store password from the environment", `throttle api {
			rate 1r/s
			store redis://:{env.FD_REDIS_PASSWORD}@127.0.0.1:6379/1
		}`, Throttle{Zone: "api", Rate: "1r/s", Store: "redis://:{env.FD_REDIS_PASSWORD}@127.0.0.1:6379/1"}, ""},
		{"private ranges", `throttle api {
			rate 1r/s
			allow private_ranges
		}`, Throttle{Zone: "api", Rate: "1r/s", Allow: []string{"192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8", "127.0.0.1/8", "fd00::/8", "::1"}}, ""},
		{"no zone", `throttle {
			rate 1r/s
		}`, Throttle{}, "missing zone"},
		{"bad zone", `throttle "a b" {
			rate 1r/s
		}`, Throttle{}, "zone"},
		{"no rate", `throttle api`, Throttle{}, "rate is required"},
		{"bad rate", `throttle api {
			rate 10/s
		}`, Throttle{}, "rate"},
		{"zero burst", `throttle api {
			rate 1r/s
			burst 0
		}`, Throttle{}, "burst"},
		{"bad prefix", `throttle api {
			rate 1r/s
			ipv6_prefix 129
		}`, Throttle{}, "ipv6_prefix"},
		{"bad allow", `throttle api {
			rate 1r/s
			allow 10.0.0.0/40
		}`, Throttle{}, "allow"},
		{"bad status", `throttle api {
			rate 1r/s
			status 200
		}`, Throttle{}, "status"},
		{"bad store", `throttle api {
			rate 1r/s
			store http://x
		}`, Throttle{}, "store"},
		{"bad timeout", `throttle api {
			rate 1r/s
			store_timeout -1s
		}`, Throttle{}, "store_timeout"},
		{"bad on_store_error", `throttle api {
			rate 1r/s
			on_store_error panic
		}`, Throttle{}, "on_store_error"},
		{"extra arg", `throttle api {
			rate 1r/s 2r/s
		}`, Throttle{}, "wrong argument count"},
		{"unknown", `throttle api {
			rate 1r/s
			limit 5
		}`, Throttle{}, "unrecognized subdirective"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Throttle
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
// it accepts also provisions.
func FuzzUnmarshalCaddyfile(f *testing.F) {
	f.Fuzz(func(t *testing.T, input string) {
		var h Throttle
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
			return
		}
		ctx, stop := caddy.NewContext(caddy.Context{Context: t.Context()})
		defer stop()
		err := h.Provision(ctx)
		h.Cleanup()
		if err != nil {
			t.Fatalf("accepted %q but Provision failed: %v", input, err)
		}
	})
}
