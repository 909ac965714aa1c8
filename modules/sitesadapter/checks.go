package sitesadapter

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddytls"
)

// duration parses a positive duration like 30s, 5m or 1d; empty is zero.
func (b *builder) duration(s *site, what string, v str) caddy.Duration {
	if v.v == "" {
		return 0
	}
	d, err := caddy.ParseDuration(v.v)
	if err != nil || d <= 0 {
		b.errs.add(v.at, "%s%s %q: expected a positive duration like 500ms, 30s, 5m, 1h or 1d", sitePrefix(s), what, v.v)
		return 0
	}
	return caddy.Duration(d)
}

// cidrs checks CIDRs and single IPs, returning them as prefixes.
func (b *builder) cidrs(s *site, what string, list []str) []string {
	var out []string
	for _, c := range list {
		v := strings.TrimSpace(c.v)
		if strings.Contains(v, "/") {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				b.errs.add(c.at, "%s%s: %q is not a CIDR range (like 10.0.0.0/8) or an IP", sitePrefix(s), what, c.v)
				continue
			}
			out = append(out, p.Masked().String())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			b.errs.add(c.at, "%s%s: %q is not a CIDR range (like 10.0.0.0/8) or an IP", sitePrefix(s), what, c.v)
			continue
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()).String())
	}
	return out
}

func sitePrefix(s *site) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("site %q: ", s.name)
}

var hostLabelRE = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$`)

// checkHost accepts a DNS name (optionally starting with a *. wildcard
// label) or an IP address: a name, not a URL.
func checkHost(h string) error {
	if h == "" {
		return fmt.Errorf("empty")
	}
	if h == "*" {
		return nil // every host: the site's listeners' catch-all
	}
	if strings.Contains(h, "://") || strings.ContainsAny(h, "/?#@ ") {
		return fmt.Errorf("a host is a name like shop.example.com, not a URL (put ports in listen)")
	}
	if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return nil
	}
	if strings.Contains(h, ":") {
		return fmt.Errorf("a host has no port (put ports in listen)")
	}
	if len(h) > 253 {
		return fmt.Errorf("too long")
	}
	for i, label := range strings.Split(h, ".") {
		if i == 0 && label == "*" {
			continue
		}
		if !hostLabelRE.MatchString(label) {
			return fmt.Errorf("not a valid host name")
		}
	}
	return nil
}

// checkListen accepts host:port or :port and returns it normalized.
func checkListen(addr string) (string, error) {
	if strings.Contains(addr, "/") {
		return "", fmt.Errorf("expected host:port or :port")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("expected host:port or :port")
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return "", fmt.Errorf("%q is not a port", port)
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil && checkHost(host) != nil {
			return "", fmt.Errorf("%q is not an IP or host name", host)
		}
	}
	return net.JoinHostPort(host, port), nil
}

// checkUpstream accepts host:port, http://host[:port] or https://host[:port]
// and returns the dial address and scheme.
func checkUpstream(addr string) (dial, scheme string, err error) {
	if strings.Contains(addr, "{") {
		return addr, "http", nil // a placeholder, resolved at run time
	}
	hostport := addr
	scheme = "http"
	if before, rest, ok := strings.Cut(addr, "://"); ok {
		scheme = strings.ToLower(before)
		if scheme != "http" && scheme != "https" {
			return "", "", fmt.Errorf("scheme must be http or https")
		}
		if p := strings.IndexAny(rest, "/?#"); p >= 0 {
			if rest[p:] != "/" {
				return "", "", fmt.Errorf("an upstream has no path (paths are passed through unchanged)")
			}
			rest = rest[:p]
		}
		hostport = rest
		if _, _, err := net.SplitHostPort(hostport); err != nil {
			port := "80"
			if scheme == "https" {
				port = "443"
			}
			hostport = net.JoinHostPort(strings.Trim(hostport, "[]"), port)
		}
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", "", fmt.Errorf("expected host:port, http://host[:port] or https://host[:port]")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", "", fmt.Errorf("%q is not a port", port)
	}
	if host == "" {
		return "", "", fmt.Errorf("missing host")
	}
	if _, err := netip.ParseAddr(host); err != nil && checkHost(strings.ToLower(host)) != nil {
		return "", "", fmt.Errorf("%q is not an IP or host name", host)
	}
	return net.JoinHostPort(host, port), scheme, nil
}

// checkTargetURL accepts an absolute http(s) URL whose host is fixed:
// placeholders may appear in the path and query, never in the host.
func checkTargetURL(u string) error {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok || (strings.ToLower(scheme) != "http" && strings.ToLower(scheme) != "https") {
		return fmt.Errorf("expected an absolute http:// or https:// URL")
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#{"); i >= 0 {
		host = rest[:i]
	}
	if host == "" {
		return fmt.Errorf("the URL needs a host")
	}
	if strings.ContainsAny(host, "{}\\@ ") {
		return fmt.Errorf("the host must be fixed (no placeholders)")
	}
	if _, err := url.Parse(scheme + "://" + host); err != nil {
		return fmt.Errorf("bad host: %v", err)
	}
	return nil
}

func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// expand turns the Caddyfile's placeholder shorthands ({uri}, {host},
// {client_ip}, {header.X}, ...) into Caddy's full placeholders, so that a
// catalog reads like a Caddyfile.
func (b *builder) expand(v string) string {
	if !strings.Contains(v, "{") {
		return v
	}
	seg := caddyfile.Segment{{Text: v}}
	b.shorthands.ApplyToSegment(&seg)
	return seg[0].Text
}

// certFiles checks a site's own certificate and key files and loads them
// under the tag site_<name>. A relative path is relative to the catalog's
// directory (as includes are), and written absolute in the JSON. The files
// must exist where the catalog is adapted: a missing one is reported at
// its line, not when TLS starts.
func (b *builder) certFiles(s *site, f *tlsFiles) {
	if f == nil {
		return
	}
	var paths [2]string
	for i, p := range []struct {
		what string
		v    str
	}{{"cert", f.Cert}, {"key", f.Key}} {
		path := p.v.v
		switch {
		case path == "":
			b.errs.add(f.At, "site %q: tls needs both cert and key (PEM files)", s.name)
			return
		case strings.Contains(path, "{"):
			// A placeholder: read when the config loads.
		default:
			if !filepath.IsAbs(path) {
				if b.file == "" {
					b.errs.add(p.v.at, "site %q: tls %s %q is relative, and this catalog has no file name to resolve it from (a POST /load body): use an absolute path", s.name, p.what, path)
					return
				}
				path = filepath.Join(filepath.Dir(b.file), path)
				if abs, err := filepath.Abs(path); err == nil {
					path = abs
				}
			}
			if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
				b.errs.add(p.v.at, "site %q: tls %s %q: no such file (looked for %s)", s.name, p.what, p.v.v, path)
				return
			}
		}
		paths[i] = path
	}
	b.loadFiles = append(b.loadFiles, caddytls.CertKeyFilePair{
		Certificate: paths[0], Key: paths[1], Tags: []string{"site_" + s.name},
	})
}
