package sitesadapter

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const storageSite = "sites:\n  shop:\n    hosts: [shop.example.com]\n    respond: {body: ok}\n"

// adaptedStorage adapts a catalog and returns its storage and TLS app.
func adaptedStorage(t *testing.T, file, catalog string) (storage map[string]any, tls map[string]any) {
	t.Helper()
	out, _, err := Adapter{}.Adapt([]byte(catalog), map[string]any{"filename": file})
	if err != nil {
		t.Fatalf("adapt: %v", err)
	}
	var cfg struct {
		Storage map[string]any `json:"storage"`
		Apps    struct {
			TLS map[string]any `json:"tls"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Storage, cfg.Apps.TLS
}

// TestStorage: the storage key is a directory, or a Redis URL that becomes
// the redis storage module with the URL's parts.
func TestStorage(t *testing.T) {
	tests := []struct {
		value string
		want  string // the storage JSON
	}{
		{"/var/lib/frontdoor", `{"module":"file_system","root":"/var/lib/frontdoor"}`},
		{"data/caddy", `{"module":"file_system","root":"data/caddy"}`},
		{"redis://127.0.0.1:6379/0", `{"address":["127.0.0.1:6379"],"client_type":"simple","db":"0","module":"redis"}`},
		{"redis://redis.internal", `{"address":["redis.internal:6379"],"client_type":"simple","db":"0","module":"redis"}`},
		{"rediss://:{env.FD_REDIS_PASSWORD}@redis.example.com:6380/3", `{"address":["redis.example.com:6380"],"client_type":"simple","db":"3","module":"redis","password":"{env.FD_REDIS_PASSWORD}","tls_enabled":true}`},
		{"redis://app:p%40ss@10.0.0.5:6379/1", `{"address":["10.0.0.5:6379"],"client_type":"simple","db":"1","module":"redis","password":"p@ss","username":"app"}`},
		{"redis-cluster://10.0.0.6:7000,10.0.0.7:7000", `{"address":["10.0.0.6:7000","10.0.0.7:7000"],"client_type":"cluster","module":"redis"}`},
	}
	for _, tt := range tests {
		st, _ := adaptedStorage(t, "sites.yaml", "storage: \""+tt.value+"\"\n"+storageSite)
		got, _ := json.Marshal(st)
		if string(got) != tt.want {
			t.Errorf("storage %q:\n got %s\nwant %s", tt.value, got, tt.want)
		}
	}
	if st, _ := adaptedStorage(t, "sites.yaml", storageSite); st != nil {
		t.Errorf("no storage key: storage %v, want Caddy's default", st)
	}
}

// TestStorageErrors: a bad storage URL, ACME CA or renew interval is
// reported at its line, and a storage URL's password never.
func TestStorageErrors(t *testing.T) {
	tests := []struct{ globals, want string }{
		{`storage: "redis://frontdoor:s3cretpw@127.0.0.1:99999/0"`, `sites.yaml:1: storage "redis://frontdoor:xxxxx@127.0.0.1:99999/0": address "127.0.0.1:99999": port "99999" is not a number from 1 to 65535`},
		{`storage: "redis://frontdoor:s3cretpw@127.0.0.1:6379/zero"`, `sites.yaml:1: storage "redis://frontdoor:xxxxx@127.0.0.1:6379/zero": database "zero": expected a number like /0`},
		{`storage: "mysql://frontdoor:s3cretpw@db:3306/0"`, `sites.yaml:1: storage "mysql://frontdoor:xxxxx@db:3306/0": scheme "mysql": expected redis://, rediss:// or redis-cluster://`},
		{`storage: "redis://frontdoor:s3cretpw@127.0.0.1:6379/0?pool_size=5"`, `options after ? or #`},
		{`storage: "redis-cluster://frontdoor:s3cretpw@10.0.0.6/0"`, `a cluster node is written host:port`},
		{`storage: "redis://frontdoor:s3cretpw:6379/0"`, `sites.yaml:1: storage "redis://frontdoor:xxxxx:6379/0": an address has more than one ':'`},
		{"acme_ca: ftp://acme.example.com/dir", `sites.yaml:1: acme_ca "ftp://acme.example.com/dir": expected the URL of an ACME directory`},
		{"acme_ca_root: no-such-root.pem", `sites.yaml:1: acme_ca_root "no-such-root.pem": no such file`},
		{"renew_interval: soon", `sites.yaml:1: renew_interval "soon": expected a positive duration`},
		{"email: ops.example.com", `sites.yaml:1: email "ops.example.com" is not an e-mail address`},
	}
	for _, tt := range tests {
		_, _, err := Adapter{}.Adapt([]byte(tt.globals+"\n"+storageSite), map[string]any{"filename": "sites.yaml"})
		if err == nil {
			t.Errorf("%s: accepted", tt.globals)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "s3cretpw") {
			t.Errorf("%s: %q shows the password", tt.globals, msg)
		}
		if !strings.Contains(msg, tt.want) {
			t.Errorf("%s:\n got %q\nwant it to contain %q", tt.globals, msg, tt.want)
		}
	}
}

// TestStorageWithoutRedisModule: a build without the Redis storage says
// so at the storage line.
func TestStorageWithoutRedisModule(t *testing.T) {
	orig := moduleRegistered
	t.Cleanup(func() { moduleRegistered = orig })
	moduleRegistered = func(id string) bool { return id != redisStorageModule }
	_, _, err := Adapter{}.Adapt([]byte("storage: redis://127.0.0.1:6379/0\n"+storageSite), nil)
	want := "line 1: storage redis:// needs the module caddy.storage.redis, which this frontdoor build does not include"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

// TestACMEIssuer: acme_ca, acme_ca_root (relative to the catalog) and
// renew_interval make one ACME issuer and the renewal check interval.
func TestACMEIssuer(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "root.pem"), []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "sites.yaml")
	_, tls := adaptedStorage(t, file, "acme_ca: https://127.0.0.1:14000/dir\nacme_ca_root: root.pem\nrenew_interval: 2s\n"+storageSite)
	got, _ := json.Marshal(tls)
	want := `{"automation":{"policies":[{"issuers":[{"ca":"https://127.0.0.1:14000/dir","module":"acme","trusted_roots_pem_files":["` + filepath.Join(dir, "root.pem") + `"]}]}],"renew_interval":2000000000}}`
	if string(got) != want {
		t.Fatalf("tls app:\n got %s\nwant %s", got, want)
	}
	_, tls = adaptedStorage(t, file, "renew_interval: 1m\n"+storageSite)
	if got, _ := json.Marshal(tls); string(got) != `{"automation":{"renew_interval":60000000000}}` {
		t.Fatalf("renew_interval alone: %s", got)
	}
	_, _, err := Adapter{}.Adapt([]byte("acme_ca_root: root.pem\n"+storageSite), nil)
	if err == nil || !strings.Contains(err.Error(), "line 1: acme_ca_root \"root.pem\" is relative") {
		t.Fatalf("a relative acme_ca_root in a POST /load body: %v", err)
	}
}

// TestSkipInstallTrust: the local CA's root is not installed into the
// system's trust store.
func TestSkipInstallTrust(t *testing.T) {
	out, _, err := Adapter{}.Adapt([]byte("skip_install_trust: true\n"+storageSite), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"pki":{"certificate_authorities":{"local":{"install_trust":false}}}`) {
		t.Fatalf("no pki app keeping the root out of the trust store: %s", out)
	}
	out, _, _ = Adapter{}.Adapt([]byte(storageSite), nil)
	if strings.Contains(string(out), `"pki"`) {
		t.Fatalf("a pki app without skip_install_trust: %s", out)
	}
}
