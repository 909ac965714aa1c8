package sitesadapter

import (
	"github.com/caddyserver/caddy/v2"
)

// The frontdoor modules' JSON, written from small structs that mirror each
// module's exported config. The adapter does not import the modules: a
// catalog that uses a feature whose module is not in the build is an
// error (see requireModule), never JSON that fails to load.

// throttleJSON mirrors http.handlers.throttle.
type throttleJSON struct {
	Zone           string         `json:"zone,omitempty"`
	Key            string         `json:"key,omitempty"`
	Rate           string         `json:"rate,omitempty"`
	Burst          int            `json:"burst,omitempty"`
	IPv4Prefix     int            `json:"ipv4_prefix,omitempty"`
	IPv6Prefix     int            `json:"ipv6_prefix,omitempty"`
	MaxKeys        int            `json:"max_keys,omitempty"`
	Allow          []string       `json:"allow,omitempty"`
	DryRun         bool           `json:"dry_run,omitempty"`
	StatusCode     int            `json:"status_code,omitempty"`
	DisableHeaders bool           `json:"disable_headers,omitempty"`
	Store          string         `json:"store,omitempty"`
	StoreTimeout   caddy.Duration `json:"store_timeout,omitempty"`
	OnStoreError   string         `json:"on_store_error,omitempty"`
}

// maintenanceJSON mirrors http.handlers.maintenance.
type maintenanceJSON struct {
	Name         string         `json:"name,omitempty"`
	Enabled      bool           `json:"enabled,omitempty"`
	Page         string         `json:"page,omitempty"`
	Message      string         `json:"message,omitempty"`
	RetryAfter   caddy.Duration `json:"retry_after,omitempty"`
	Status       int            `json:"status,omitempty"`
	Allow        []string       `json:"allow,omitempty"`
	BypassSecret string         `json:"bypass_secret,omitempty"`
	BypassTTL    caddy.Duration `json:"bypass_ttl,omitempty"`
}

// visitorRedirectJSON mirrors http.handlers.visitor_redirect.
type visitorRedirectJSON struct {
	Rules        []redirectRuleJSON `json:"rules,omitempty"`
	StatusCode   int                `json:"status_code,omitempty"`
	RedirectBots bool               `json:"redirect_bots,omitempty"`
	StayCookie   string             `json:"stay_cookie,omitempty"`
	StayParam    string             `json:"stay_param,omitempty"`
	StayMaxAge   caddy.Duration     `json:"stay_max_age,omitempty"`
	DisableStay  bool               `json:"disable_stay,omitempty"`
}

type redirectRuleJSON struct {
	Countries []string `json:"countries,omitempty"`
	Devices   []string `json:"devices,omitempty"`
	To        string   `json:"to"`
	Name      string   `json:"name,omitempty"`
}

// visitorInfoJSON mirrors http.handlers.visitor_info.
type visitorInfoJSON struct {
	CountryHeader      string `json:"country_header,omitempty"`
	DeviceHeader       string `json:"device_header,omitempty"`
	DisableHeaders     bool   `json:"disable_headers,omitempty"`
	DisableClientHints bool   `json:"disable_client_hints,omitempty"`
}

// traceIDJSON mirrors http.handlers.trace_id.
type traceIDJSON struct {
	TrustIncoming string `json:"trust_incoming,omitempty"`
}

// lokiJSON mirrors caddy.logging.writers.loki.
type lokiJSON struct {
	URL         string            `json:"url,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Tenant      string            `json:"tenant,omitempty"`
	BearerToken string            `json:"bearer_token,omitempty"`
	BatchWait   caddy.Duration    `json:"batch_wait,omitempty"`
	BatchSize   int               `json:"batch_size,omitempty"`
	Buffer      int               `json:"buffer,omitempty"`
	Timeout     caddy.Duration    `json:"timeout,omitempty"`
}

// requireModule reports, at the place the feature was configured, when the
// module a feature needs is not in this build.
func requireModule(errs *errorList, where at, feature, id string) bool {
	if !moduleRegistered(id) {
		errs.add(where, "%s needs the module %s, which this frontdoor build does not include", feature, id)
		return false
	}
	return true
}

// moduleRegistered reports whether a module is in this build. Tests replace
// it to check the error a build without a module gives.
var moduleRegistered = func(id string) bool {
	_, err := caddy.GetModule(id)
	return err == nil
}
