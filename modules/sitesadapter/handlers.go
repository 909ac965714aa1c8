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
	Zone         string   `json:"zone,omitempty"`
	Key          string   `json:"key,omitempty"`
	Rate         string   `json:"rate,omitempty"`
	Burst        int      `json:"burst,omitempty"`
	IPv6Prefix   int      `json:"ipv6_prefix,omitempty"`
	MaxKeys      int      `json:"max_keys,omitempty"`
	Allow        []string `json:"allow,omitempty"`
	DryRun       bool     `json:"dry_run,omitempty"`
	Store        string   `json:"store,omitempty"`
	OnStoreError string   `json:"on_store_error,omitempty"`
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
	Status       int                `json:"status,omitempty"`
	RedirectBots bool               `json:"redirect_bots,omitempty"`
	StayCookie   string             `json:"stay_cookie,omitempty"`
	StayParam    string             `json:"stay_param,omitempty"`
}

type redirectRuleJSON struct {
	Country []string `json:"country,omitempty"`
	Device  []string `json:"device,omitempty"`
	To      string   `json:"to"`
}

// visitorInfoJSON mirrors http.handlers.visitor_info.
type visitorInfoJSON struct {
	CountryHeader string `json:"country_header,omitempty"`
	DeviceHeader  string `json:"device_header,omitempty"`
	HeadersOff    bool   `json:"headers_off,omitempty"`
}

// traceIDJSON mirrors http.handlers.trace_id.
type traceIDJSON struct {
	TrustIncoming string `json:"trust_incoming,omitempty"`
}

// lokiJSON mirrors caddy.logging.writers.loki.
type lokiJSON struct {
	URL       string            `json:"url"`
	Labels    map[string]string `json:"labels,omitempty"`
	Tenant    string            `json:"tenant,omitempty"`
	BatchWait caddy.Duration    `json:"batch_wait,omitempty"`
	BatchSize int64             `json:"batch_size,omitempty"`
	Buffer    int               `json:"buffer,omitempty"`
}

// requireModule reports, at the place the feature was configured, when the
// module a feature needs is not in this build.
func requireModule(errs *errorList, where at, feature, id string) bool {
	if _, err := caddy.GetModule(id); err != nil {
		errs.add(where, "%s needs the module %s, which this frontdoor build does not include", feature, id)
		return false
	}
	return true
}
