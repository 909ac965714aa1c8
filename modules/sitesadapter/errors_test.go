package sitesadapter

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestErrors checks that each mistake is reported with its file and line.
func TestErrors(t *testing.T) {
	const site = "sites:\n  shop:\n    hosts: [shop.example.com]\n    upstreams: [10.0.0.1:80]\n"
	tests := []struct {
		name  string
		files map[string]string // the first key sorted is not special: main is "sites.yaml"
		want  []string
	}{
		{
			name: "unknown site key",
			files: map[string]string{"sites.yaml": `sites:
  shop:
    hosts: [shop.example.com]
    upstream: [10.0.0.1:80]
`},
			want: []string{`sites.yaml:4: shop: unknown key "upstream" (did you mean "upstreams"?)`},
		},
		{
			name: "negative keepalive",
			files: map[string]string{"sites.yaml": `sites:
  shop:
    hosts: [shop.example.com]
    upstreams: {to: [10.0.0.1:80], keepalive_idle_conns_per_host: -1}
`},
			want: []string{`sites.yaml:4: site "shop": upstreams.keepalive_idle_conns_per_host -1 must be zero or more`},
		},
		{
			name:  "unknown top-level key",
			files: map[string]string{"sites.yaml": "site:\n  shop: {}\n"},
			want:  []string{`sites.yaml:1: catalog: unknown key "site" (did you mean "sites"?)`},
		},
		{
			name: "unknown key in defaults reported once",
			files: map[string]string{"sites.yaml": `defaults:
  throttle:
    rat: 10r/s
sites:
  a: {hosts: [a.example.com], upstreams: [10.0.0.1:80]}
  b: {hosts: [b.example.com], upstreams: [10.0.0.1:80]}
`},
			want: []string{`sites.yaml:3: defaults.throttle: unknown key "rat" (did you mean "rate"?)`},
		},
		{
			name: "host claimed by two sites",
			files: map[string]string{"sites.yaml": `sites:
  shop:
    hosts: [shop.example.com]
    upstreams: [10.0.0.1:80]
  shop2:
    hosts: [SHOP.example.com]
    upstreams: [10.0.0.2:80]
`},
			want: []string{`sites.yaml:6: host "SHOP.example.com" is claimed by two sites: "shop2" here and "shop" at sites.yaml:3`},
		},
		{
			name: "host claimed across included files",
			files: map[string]string{
				"sites.yaml":     "include: [sites.d/*.yaml]\n" + site,
				"sites.d/b.yaml": "sites:\n  other:\n    hosts: [shop.example.com]\n    upstreams: [10.0.0.1:80]\n",
			},
			want: []string{`b.yaml:3: host "shop.example.com" is claimed by two sites: "other" here and "shop" at `},
		},
		{
			name: "invalid CIDR",
			files: map[string]string{"sites.yaml": site + `    throttle:
      rate: 10r/s
      allow:
        - 10.0.0.0/8
        - 10.0.0.0/33
`},
			want: []string{`sites.yaml:9: site "shop": throttle.allow: "10.0.0.0/33" is not a CIDR range`},
		},
		{
			name:  "invalid trusted proxy",
			files: map[string]string{"sites.yaml": "trusted_proxies: [localhost]\n" + site},
			want:  []string{`sites.yaml:1: trusted_proxies: "localhost" is not a CIDR range`},
		},
		{
			name:  "invalid rate",
			files: map[string]string{"sites.yaml": site + "    throttle: 10/s\n"},
			want:  []string{`sites.yaml:5: site "shop": throttle rate "10/s": expected a number of requests per second, minute or hour`},
		},
		{
			name:  "zero rate",
			files: map[string]string{"sites.yaml": site + "    throttle: 0r/s\n"},
			want:  []string{`sites.yaml:5: site "shop": throttle rate "0r/s" must be more than zero`},
		},
		{
			name:  "invalid duration",
			files: map[string]string{"sites.yaml": site + "    maintenance:\n      retry_after: 30 minutes\n"},
			want:  []string{`sites.yaml:6: site "shop": maintenance.retry_after "30 minutes": expected a positive duration`},
		},
		{
			name: "redirect URL with a host from the request",
			files: map[string]string{"sites.yaml": site + `    redirects:
      - country: [KR]
        to: https://{host}/kr
`},
			want: []string{`sites.yaml:7: site "shop": redirect to "https://{host}/kr": the URL needs a host`},
		},
		{
			name:  "relative redirect URL",
			files: map[string]string{"sites.yaml": site + "    redirects:\n      - device: [mobile]\n        to: /m\n"},
			want:  []string{`sites.yaml:7: site "shop": redirect to "/m": expected an absolute http:// or https:// URL`},
		},
		{
			name:  "unknown device and country",
			files: map[string]string{"sites.yaml": site + "    redirects:\n      - device: [phone]\n        country: [KOR]\n        to: https://m.example.com\n"},
			want: []string{
				`sites.yaml:6: site "shop": redirect device "phone"`,
				`sites.yaml:7: site "shop": redirect country "KOR"`,
			},
		},
		{
			name:  "bad Loki URL",
			files: map[string]string{"sites.yaml": site + "    log:\n      loki: 127.0.0.1:3100\n"},
			want:  []string{`sites.yaml:6: site "shop": log.loki "127.0.0.1:3100": expected the Loki base URL`},
		},
		{
			name:  "bad upstream address",
			files: map[string]string{"sites.yaml": "sites:\n  shop:\n    hosts: [shop.example.com]\n    upstreams: [10.0.0.1, \"ftp://x:21\", \"10.0.0.2:99999\", \"http://a/b\"]\n"},
			want: []string{
				`sites.yaml:4: site "shop": upstream "10.0.0.1": expected host:port`,
				`sites.yaml:4: site "shop": upstream "ftp://x:21": scheme must be http or https`,
				`sites.yaml:4: site "shop": upstream "10.0.0.2:99999": "99999" is not a port`,
				`sites.yaml:4: site "shop": upstream "http://a/b": an upstream has no path`,
			},
		},
		{
			name:  "mixed upstream schemes",
			files: map[string]string{"sites.yaml": "sites:\n  shop:\n    hosts: [shop.example.com]\n    upstreams:\n      - http://a:80\n      - https://b:443\n"},
			want:  []string{`sites.yaml:6: site "shop": upstream "https://b:443": all upstreams of a site must use the same scheme`},
		},
		{
			name:  "unknown lb policy",
			files: map[string]string{"sites.yaml": "sites:\n  shop:\n    hosts: [shop.example.com]\n    upstreams:\n      to: [10.0.0.1:80]\n      lb_policy: fastest\n"},
			want:  []string{`sites.yaml:6: site "shop": lb_policy "fastest": expected one of`},
		},
		{
			name:  "empty site",
			files: map[string]string{"sites.yaml": "sites:\n  shop:\n"},
			want:  []string{`sites.yaml:2: site "shop" is empty`},
		},
		{
			name:  "site without hosts",
			files: map[string]string{"sites.yaml": "sites:\n  shop:\n    upstreams: [10.0.0.1:80]\n"},
			want:  []string{`sites.yaml:2: site "shop" has no hosts`},
		},
		{
			name:  "site without upstreams",
			files: map[string]string{"sites.yaml": "sites:\n  shop:\n    hosts: [shop.example.com]\n"},
			want:  []string{`sites.yaml:2: site "shop" has neither upstreams nor respond`},
		},
		{
			name:  "host with a scheme",
			files: map[string]string{"sites.yaml": "sites:\n  shop:\n    hosts: [\"https://shop.example.com\"]\n    upstreams: [10.0.0.1:80]\n"},
			want:  []string{`sites.yaml:3: site "shop": host "https://shop.example.com": a host is a name like shop.example.com, not a URL`},
		},
		{
			name:  "hosts in defaults",
			files: map[string]string{"sites.yaml": "defaults:\n  hosts: [x.example.com]\n" + site},
			want:  []string{`sites.yaml:2: defaults: hosts belong to each site`},
		},
		{
			name:  "site name",
			files: map[string]string{"sites.yaml": "sites:\n  Shop Site:\n    hosts: [a.example.com]\n    upstreams: [10.0.0.1:80]\n"},
			want:  []string{`sites.yaml:2: site name "Shop Site"`},
		},
		{
			name:  "same site twice across files",
			files: map[string]string{"sites.yaml": "include: [more.yaml]\n" + site, "more.yaml": site},
			want:  []string{`more.yaml:2: site "shop" is already defined at `},
		},
		{
			name:  "an include that matches nothing is an error, a pattern or a file",
			files: map[string]string{"sites.yaml": "include: [\"none/*.yaml\", missing.yaml]\n" + site},
			want:  []string{`sites.yaml:1: include "none/*.yaml" matches no file`, `sites.yaml:1: include "missing.yaml" matches no file`},
		},
		{
			name:  "included file with other keys",
			files: map[string]string{"sites.yaml": "include: [more.yaml]\n" + site, "more.yaml": "defaults: {}\n"},
			want:  []string{`more.yaml:1: included file: unknown key "defaults"`},
		},
		{
			name:  "TLS and plain HTTP on one listener",
			files: map[string]string{"sites.yaml": "defaults:\n  listen: [\":8443\"]\nsites:\n  a: {hosts: [a.example.com], upstreams: [10.0.0.1:80]}\n  b: {hosts: [b.example.com], upstreams: [10.0.0.1:80], tls: off}\n"},
			want:  []string{`sites.yaml:5: site "b" has tls off but shares its listeners with site "a"`},
		},
		{
			name:  "overlapping listen lists",
			files: map[string]string{"sites.yaml": "sites:\n  a: {hosts: [a.example.com], upstreams: [10.0.0.1:80], listen: [\":8443\"]}\n  b: {hosts: [b.example.com], upstreams: [10.0.0.1:80], listen: [\":8443\", \":9443\"]}\n"},
			want:  []string{`sites.yaml:3: site "b" listens on :8443, which site "a" also uses`},
		},
		{
			name:  "bad tls",
			files: map[string]string{"sites.yaml": site + "    tls: letsencrypt\n"},
			want:  []string{`sites.yaml:5: site "shop": tls: "letsencrypt" is not automatic, internal, off or {cert: <file>, key: <file>}`},
		},
		{
			name:  "own certificate without its key",
			files: map[string]string{"sites.yaml": site + "    tls: {cert: shop.pem}\n", "shop.pem": "x"},
			want:  []string{`sites.yaml:5: site "shop": tls needs both cert and key (PEM files)`},
		},
		{
			name:  "own certificate file missing",
			files: map[string]string{"sites.yaml": site + "    tls:\n      cert: shop.pem\n      key: shop.key\n", "shop.pem": "x"},
			want:  []string{`sites.yaml:7: site "shop": tls key "shop.key": no such file`},
		},
		{
			name:  "unknown key in tls",
			files: map[string]string{"sites.yaml": site + "    tls: {cert: shop.pem, key: shop.key, ca: x}\n", "shop.pem": "x", "shop.key": "y"},
			want:  []string{`sites.yaml:5: tls: unknown key "ca"`},
		},
		{
			name:  "unknown_hosts neither a status nor a site",
			files: map[string]string{"sites.yaml": "unknown_hosts: shpo\n" + site},
			want:  []string{`sites.yaml:1: unknown_hosts "shpo": expected 404, 421, close, or the name of a site`},
		},
		{
			name:  "wrong kind",
			files: map[string]string{"sites.yaml": "sites:\n  shop:\n    hosts: {a: b}\n    upstreams: [10.0.0.1:80]\n"},
			want:  []string{`sites.yaml:3: shop.hosts: expected a list, got a mapping`},
		},
		{
			name:  "YAML syntax",
			files: map[string]string{"sites.yaml": "sites:\n  shop:\n    hosts: [a.example.com\n    upstreams: [10.0.0.1:80]\n"},
			want:  []string{`sites.yaml:3: invalid YAML: did not find expected ',' or ']'`},
		},
		{
			name:  "duplicate key",
			files: map[string]string{"sites.yaml": site + "    hosts: [b.example.com]\n"},
			want:  []string{`sites.yaml:5: key "hosts" is set twice in the same mapping`},
		},
		{
			name:  "zone shared with another rate",
			files: map[string]string{"sites.yaml": "sites:\n  a: {hosts: [a.example.com], upstreams: [10.0.0.1:80], throttle: {zone: z, rate: 1r/s}}\n  b: {hosts: [b.example.com], upstreams: [10.0.0.1:80], throttle: {zone: z, rate: 2r/s}}\n"},
			want:  []string{`sites.yaml:3: site "b": throttle zone "z" is shared with site "a" (sites.yaml:2)`},
		},
		{
			name:  "names that would start paths and keys with a dot or a dash",
			files: map[string]string{"sites.yaml": "sites:\n  a: {hosts: [a.example.com], upstreams: [10.0.0.1:80], throttle: {zone: ..z, rate: 1r/s}}\n  b: {hosts: [b.example.com], upstreams: [10.0.0.1:80], maintenance: {name: -m}}\n"},
			want: []string{
				`sites.yaml:2: site "a": throttle zone "..z": use 1 to 64 letters, digits, _, . or -, starting with a letter or digit`,
				`sites.yaml:3: site "b": maintenance name "-m": use 1 to 64 letters, digits, _, . or -, starting with a letter or digit`,
			},
		},
		{
			name:  "a label name Loki keeps for itself",
			files: map[string]string{"sites.yaml": site + "    log: {loki: \"http://127.0.0.1:3100\", labels: {__name__: x}}\n"},
			want:  []string{`sites.yaml:5: site "shop": log label name "__name__": expected letters, digits and _, not starting with a digit or __`},
		},
		{
			name:  "both log destinations",
			files: map[string]string{"sites.yaml": site + "    log: {output: stdout, loki: \"http://127.0.0.1:3100\"}\n"},
			want:  []string{`sites.yaml:5: site "shop": log has both output and loki`},
		},
		{
			name:  "unknown maintenance on_state_error",
			files: map[string]string{"sites.yaml": site + "    maintenance:\n      on_state_error: fail-open\n"},
			want:  []string{`sites.yaml:6: site "shop": maintenance on_state_error "fail-open": expected keep, closed or open`},
		},
		{
			name:  "short literal bypass secret",
			files: map[string]string{"sites.yaml": site + "    maintenance:\n      allow: [10.0.0.0/8]\n      bypass_secret: hunter2\n"},
			want:  []string{`sites.yaml:7: site "shop": maintenance bypass_secret is too short (7 characters): use at least 16 characters`},
		},
		{
			name:  "waiting room without active_users",
			files: map[string]string{"sites.yaml": site + "    waiting_room:\n      refresh: 20s\n"},
			want:  []string{`sites.yaml:6: site "shop": waiting_room needs active_users`},
		},
		{
			name: "waiting room values",
			files: map[string]string{"sites.yaml": site + `    waiting_room:
      active_users: 10
      queue: lifo
      on_store_error: deny
      refresh: 500ms
      session_duration: 2d
      cookie_domain: "a b"
      paths: [book]
      name: "no spaces"
`},
			want: []string{
				`sites.yaml:7: site "shop": waiting_room queue "lifo": expected fifo or random`,
				`sites.yaml:8: site "shop": waiting_room on_store_error "deny": expected admit or hold`,
				`sites.yaml:9: site "shop": waiting_room.refresh "500ms": expected 1s to 1h0m0s`,
				`sites.yaml:10: site "shop": waiting_room.session_duration "2d": expected 1s to 24h0m0s`,
				`sites.yaml:11: site "shop": waiting_room cookie_domain "a b" is not a domain name`,
				`sites.yaml:12: site "shop": waiting_room paths: "book" must start with /`,
				`sites.yaml:13: site "shop": waiting_room name "no spaces"`,
			},
		},
		{
			name: "waiting room store",
			files: map[string]string{"sites.yaml": site + `    waiting_room:
      active_users: 10
      store: redis-cluster://user:pa55word@10.0.0.1
`},
			want: []string{
				`sites.yaml:7: site "shop": waiting_room store "redis-cluster://user:xxxxx@10.0.0.1": address "10.0.0.1": a cluster node is written host:port`,
				`sites.yaml:7: site "shop": waiting_room store is shared by several gateways: set secret`,
			},
		},
		{
			name: "waiting room event",
			files: map[string]string{"sites.yaml": site + `    waiting_room:
      active_users: 10
      event:
        prequeue: 2026-12-24T11:00:00+09:00
        start: 2026-12-24T10:00:00+09:00
        end: tomorrow
`},
			want: []string{`sites.yaml:10: site "shop": waiting_room event end "tomorrow": expected an RFC 3339 time`},
		},
		{
			name: "waiting room event order",
			files: map[string]string{"sites.yaml": site + `    waiting_room:
      active_users: 10
      event:
        prequeue: 2026-12-24T11:00:00+09:00
        start: 2026-12-24T10:00:00+09:00
`},
			want: []string{`sites.yaml:8: site "shop": waiting_room event prequeue is after its start`},
		},
		{
			name: "waiting room shared with other settings",
			files: map[string]string{"sites.yaml": `sites:
  a:
    hosts: [a.example.com]
    upstreams: [10.0.0.1:80]
    waiting_room: {name: sale, active_users: 10}
  b:
    hosts: [b.example.com]
    upstreams: [10.0.0.1:80]
    waiting_room: {name: sale, active_users: 20}
`},
			want: []string{`sites.yaml:9: site "b": waiting room "sale" is shared with site "a" (sites.yaml:5) with different settings`},
		},
		{
			name:  "unknown waiting room key",
			files: map[string]string{"sites.yaml": site + "    waiting_room:\n      active_user: 10\n"},
			want:  []string{`sites.yaml:6: shop.waiting_room: unknown key "active_user" (did you mean "active_users"?)`},
		},
		{
			name:  "empty catalog",
			files: map[string]string{"sites.yaml": "# nothing yet\n"},
			want:  []string{`sites.yaml: the catalog is empty`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tc.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			main := filepath.Join(dir, "sites.yaml")
			out, err := adaptFile(t, main)
			if err == nil {
				t.Fatalf("adapted without error:\n%s", out)
			}
			msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not contain\n  %s\ngot:\n  %s", w, msg)
				}
			}
		})
	}
}

// TestMissingModule checks that a feature whose module is not in the build
// is an error naming the module, not JSON that fails to load.
func TestMissingModule(t *testing.T) {
	orig := moduleRegistered
	t.Cleanup(func() { moduleRegistered = orig })
	moduleRegistered = func(id string) bool { return id != "http.handlers.throttle" }

	body := "sites:\n  shop:\n    hosts: [shop.example.com]\n    upstreams: [10.0.0.1:80]\n    throttle: 10r/s\n"
	_, _, err := Adapter{}.Adapt([]byte(body), nil)
	want := "line 5: throttle needs the module http.handlers.throttle, which this frontdoor build does not include"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

// TestIncludeSkipsSpecialFiles checks that an include pattern matching
// device files reads none of them (reading /dev/zero would never end).
func TestIncludeSkipsSpecialFiles(t *testing.T) {
	body := "include: [\"/dev/zero\", \"/dev/*\"]\nsites:\n  shop:\n    hosts: [shop.example.com]\n    upstreams: [10.0.0.1:80]\n"
	done := make(chan error, 1)
	go func() {
		_, _, err := Adapter{}.Adapt([]byte(body), nil)
		done <- err
	}()
	select {
	case err := <-done:
		// Device files are not catalogs: the patterns match no file.
		if err == nil || !strings.Contains(err.Error(), `include "/dev/zero" matches no file`) {
			t.Fatalf("adapt: %v, want the include reported as matching no file", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("adapt hangs on an include of device files")
	}
}

// TestIncludeBase checks where relative includes are read from: the
// catalog's directory, or include_base; a catalog with no file name (a
// POST /load body) has no directory, so a relative include is an error
// there unless include_base is absolute.
func TestIncludeBase(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("conf/sites.d/api.yaml", "sites:\n  api: {hosts: [api.example.com], upstreams: [10.0.0.2:80]}\n")
	const shop = "sites:\n  shop: {hosts: [shop.example.com], upstreams: [10.0.0.1:80]}\n"
	tests := []struct {
		name, file, catalog string
		err                 string // "" = adapts with both sites
	}{
		{"relative to the catalog's file", filepath.Join(dir, "conf", "sites.yaml"), "include: [sites.d/*.yaml]\n" + shop, ""},
		{"include_base relative to the catalog's file", filepath.Join(dir, "sites.yaml"), "include_base: conf\ninclude: [sites.d/*.yaml]\n" + shop, ""},
		{"POST /load with an absolute include_base", "", "include_base: " + filepath.Join(dir, "conf") + "\ninclude: [sites.d/*.yaml]\n" + shop, ""},
		{"POST /load with an absolute pattern", "", "include: [" + filepath.Join(dir, "conf", "sites.d", "*.yaml") + "]\n" + shop, ""},
		{"POST /load with a relative include", "", "include: [sites.d/*.yaml]\n" + shop,
			`line 1: include "sites.d/*.yaml" is relative, and this catalog has no file name to resolve it from`},
		{"POST /load with a relative include_base", "", "include_base: conf\ninclude: [sites.d/*.yaml]\n" + shop,
			`line 1: include_base "conf" is relative, and this catalog has no file name`},
		{"include_base where the files are not", filepath.Join(dir, "sites.yaml"), "include_base: elsewhere\ninclude: [sites.d/*.yaml]\n" + shop,
			`sites.yaml:2: include "sites.d/*.yaml" matches no file (looked for ` + filepath.Join(dir, "elsewhere", "sites.d", "*.yaml") + `)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := map[string]any{}
			if tt.file != "" {
				opts["filename"] = tt.file
			}
			out, _, err := Adapter{}.Adapt([]byte(tt.catalog), opts)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, host := range []string{"shop.example.com", "api.example.com"} {
				if !strings.Contains(string(out), host) {
					t.Fatalf("the adapted config lacks %s", host)
				}
			}
		})
	}
}

// TestMergeKeysExpandOnce: merge keys that merge the same mapping many
// times over, nested, are expanded once per mapping, not once per path (ten
// levels of ten would be 10^10 expansions).
func TestMergeKeysExpandOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("sites:\n  base0: &a0 {hosts: [b0.example.com], upstreams: [10.0.0.1:80]}\n")
	for i := 1; i <= 10; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", ")
		fmt.Fprintf(&b, "  base%d: &a%d {<<: [%s], hosts: [b%d.example.com]}\n", i, i, refs, i)
	}
	b.WriteString("  shop: {<<: *a10, hosts: [shop.example.com]}\n")
	path := filepath.Join(t.TempDir(), "sites.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := adaptFile(t, path)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("adapting:\n%s\n%v", b.String(), err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("adapting 12 lines of merge keys did not finish in 30 s: merges are expanded once per path")
	}
}
