package sitesadapter

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/modules/caddytls"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/redisurl"
)

// redisStorageModule is the Caddy storage the catalog's storage: takes as
// a Redis URL (github.com/pberkel/caddy-storage-redis).
const redisStorageModule = "caddy.storage.redis"

// storage returns the Caddy storage of the catalog's storage key: a
// directory (file_system), or a Redis URL (redis://, rediss://,
// redis-cluster://) whose server every gateway naming it shares for
// certificates, ACME locks and maintenance switches. Placeholders such as
// {env.REDIS_PASSWORD} are left for the storage module, which replaces them
// when it is provisioned; the password itself never appears in an error.
func (b *builder) storage() json.RawMessage {
	v := b.g.Storage
	if v.v == "" {
		return nil
	}
	if !redisurl.IsURL(v.v) {
		return caddyconfig.JSONModuleObject(map[string]string{"root": v.v}, "module", "file_system", &b.warnings)
	}
	u, err := redisurl.Parse(v.v)
	if err != nil {
		b.errs.add(v.at, "storage %q: %v (a directory, or redis://[user:password@]host:port/db, rediss://... or redis-cluster://host:port,...)", redisurl.Redact(v.v), err)
		return nil
	}
	if !requireModule(b.errs, v.at, "storage "+u.Scheme+"://", redisStorageModule) {
		return nil
	}
	j := redisStorageJSON{
		ClientType: "simple",
		Address:    u.Addrs,
		Username:   u.Username,
		Password:   u.Password,
		DB:         u.DB,
		TLSEnabled: u.TLS(),
	}
	if u.Cluster() {
		j.ClientType = "cluster"
		j.DB = ""
	}
	return caddyconfig.JSONModuleObject(j, "module", "redis", &b.warnings)
}

// redisStorageJSON mirrors the fields of caddy.storage.redis the catalog
// sets; the module's defaults hold for the rest (key_prefix "caddy", a 5 s
// timeout).
type redisStorageJSON struct {
	ClientType string   `json:"client_type"`
	Address    []string `json:"address"`
	Username   string   `json:"username,omitempty"`
	Password   string   `json:"password,omitempty"`
	DB         string   `json:"db,omitempty"`
	TLSEnabled bool     `json:"tls_enabled,omitempty"`
}

// acmeIssuer returns the ACME issuer of the catalog's email, acme_ca and
// acme_ca_root keys, or nil when none is set (Caddy's default issuers).
func (b *builder) acmeIssuer() json.RawMessage {
	g, errs := b.g, b.errs
	if g.Email.v == "" && g.ACMECA.v == "" && g.ACMECARoot.v == "" {
		return nil
	}
	iss := caddytls.ACMEIssuer{Email: g.Email.v, CA: g.ACMECA.v}
	if g.Email.v != "" && !strings.Contains(g.Email.v, "@") {
		errs.add(g.Email.at, "email %q is not an e-mail address", g.Email.v)
	}
	if ca := g.ACMECA.v; ca != "" && !strings.Contains(ca, "{") {
		u, err := url.Parse(ca)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs.add(g.ACMECA.at, "acme_ca %q: expected the URL of an ACME directory, like https://acme-staging-v02.api.letsencrypt.org/directory", ca)
		}
	}
	if root := g.ACMECARoot; root.v != "" {
		if path, ok := b.catalogFile(root, "acme_ca_root"); ok {
			iss.TrustedRootsPEMFiles = []string{path}
		}
	}
	return caddyconfig.JSONModuleObject(iss, "module", "acme", &b.warnings)
}

// catalogFile resolves a file named in the catalog (relative to the
// catalog's directory) and checks that it exists. Caddy reads it when the
// config loads, without replacing placeholders.
func (b *builder) catalogFile(v str, what string) (string, bool) {
	path := v.v
	if !filepath.IsAbs(path) {
		if b.file == "" {
			b.errs.add(v.at, "%s %q is relative, and this catalog has no file name to resolve it from (a POST /load body): use an absolute path", what, path)
			return "", false
		}
		path = filepath.Join(filepath.Dir(b.file), path)
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
	}
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		b.errs.add(v.at, "%s %q: no such file (looked for %s)", what, v.v, path)
		return "", false
	}
	return path, true
}
