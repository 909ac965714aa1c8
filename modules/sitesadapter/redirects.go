package sitesadapter

import (
	"regexp"
	"strings"

	"github.com/caddyserver/caddy/v2"
)

var (
	countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
	devices   = map[string]bool{"mobile": true, "tablet": true, "desktop": true, "tv": true, "bot": true, "other": true}
)

func (b *builder) redirects(s *site, r *redirectsConfig) visitorRedirectJSON {
	errs := b.errs
	j := visitorRedirectJSON{
		StatusCode:   r.Status,
		RedirectBots: r.RedirectBots,
		StayCookie:   r.StayCookie.v,
		StayParam:    r.StayParam.v,
		StayMaxAge:   b.duration(s, "redirects.stay_max_age", r.StayMaxAge),
		DisableStay:  r.DisableStay,
	}
	switch r.Status {
	case 0, 301, 302, 303, 307, 308:
	default:
		errs.add(r.At, "site %q: redirects status %d: expected 301, 302, 303, 307 or 308", s.name, r.Status)
	}
	if len(r.Rules) == 0 {
		errs.add(r.At, "site %q: redirects has no rules (each rule: country or device, and to)", s.name)
	}
	for _, rule := range r.Rules {
		rj := redirectRuleJSON{To: b.expand(rule.To.v), Name: rule.Name.v}
		if len(rule.Country) == 0 && len(rule.Device) == 0 {
			errs.add(rule.At, "site %q: redirect rule needs country or device", s.name)
		}
		for _, c := range rule.Country {
			cc := strings.ToUpper(c.v)
			if !countryRE.MatchString(cc) {
				errs.add(c.at, "site %q: redirect country %q: expected a two-letter ISO 3166-1 code like KR", s.name, c.v)
			}
			rj.Countries = append(rj.Countries, cc)
		}
		for _, d := range rule.Device {
			dv := strings.ToLower(d.v)
			if !devices[dv] {
				errs.add(d.at, "site %q: redirect device %q: expected one of mobile, tablet, desktop, tv, bot, other", s.name, d.v)
			}
			rj.Devices = append(rj.Devices, dv)
		}
		if rule.To.v == "" {
			errs.add(rule.At, "site %q: redirect rule needs to: (an absolute URL like https://m.example.com{uri})", s.name)
		} else if err := checkTargetURL(rule.To.v); err != nil {
			errs.add(rule.To.at, "site %q: redirect to %q: %v", s.name, rule.To.v, err)
		}
		j.Rules = append(j.Rules, rj)
	}
	return j
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
