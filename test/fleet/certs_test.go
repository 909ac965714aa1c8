package fleet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// certCatalog is a gateway of two sites with automatic HTTPS: certificates
// from the test ACME server, kept in the shared Redis, checked for renewal
// every second.
const certCatalog = `admin: 127.0.0.1:{{.Admin}}
http_port: {{.HTTP}}
https_port: {{.HTTPS}}
storage: "redis://{{.V.redis}}/0"
email: ops@example.com
acme_ca: "{{.V.acme}}"
acme_ca_root: "{{.V.acmeRoot}}"
renew_interval: 1s
sites:
  shop:
    hosts: [shop.example.com]
    respond: {body: shop}
  blog:
    hosts: [blog.example.com]
    respond: {body: blog}
`

// certValidity is the lifetime of the test certificates: Caddy renews at
// two thirds of it at the latest (sooner when the ACME server's renewal
// window, ARI, says so), so a renewal comes within 30 s.
const certValidity = 45 * time.Second

var certNames = []string{"shop.example.com", "blog.example.com"}

// TestCertificatesOnceForTheFleet: gateways sharing one Redis storage get
// one certificate per name from a real ACME server (Pebble) for the whole
// fleet, all serve the same one, a gateway started later serves the stored
// one without a new order, and each renewal is one order, made by one
// gateway, that the others follow.
func TestCertificatesOnceForTheFleet(t *testing.T) {
	harness.Long(t, "runs three frontdoor processes, Redis and an ACME server")
	acme := harness.Pebble(t, certValidity)
	redis := harness.Redis(t)
	vars := map[string]any{"redis": redis.Addr, "acme": acme.Directory, "acmeRoot": acme.ServerCA}
	var fleet []*gateway
	for i := range 3 {
		g := newGateway(t, fmt.Sprintf("gw%d", i+1))
		g.writeCatalog(t, certCatalog, vars)
		fleet = append(fleet, g)
	}
	roots := acme.Roots(t)

	// Two gateways come up at once: both want certificates for both names.
	startAll(t, fleet[:2])
	first := map[string]string{}
	for _, name := range certNames {
		s := waitSameSerial(t, fleet[:2], name, roots, 60*time.Second)
		first[name] = s
		t.Logf("%s: gw1 and gw2 serve serial %s", name, s)
	}
	// The gateways keep running: a renewal may be under way (ARI may open
	// the renewal window early), so the check waits for it to settle.
	checkIssuance(t, acme, fleet[:2], 0, 15*time.Second)

	// A third gateway, started later, serves the stored certificates.
	fleet[2].start(t)
	for _, name := range certNames {
		s := waitSameSerial(t, fleet, name, roots, 30*time.Second)
		t.Logf("%s: gw3, started later, serves serial %s like the others", name, s)
	}
	if n := len(certLog(fleet[2], "obtaining certificate")); n != 0 {
		t.Errorf("gw3, started after the certificates were stored, ordered %d certificates of its own", n)
	}

	// Renewal: every gateway ends up serving a new certificate for each
	// name, and each renewal was one order.
	for _, name := range certNames {
		deadline := time.Now().Add(certValidity + 20*time.Second)
		for {
			s, err := sameSerial(fleet, name, roots)
			if err == nil && s != first[name] {
				t.Logf("%s: renewed; every gateway serves serial %s", name, s)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no renewal served by every gateway within %s (first serial %s; now: %v)", name, certValidity+20*time.Second, first[name], err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	for _, g := range fleet {
		g.stop()
	}
	checkIssuance(t, acme, fleet, 1, 0)
}

// checkIssuance checks the orders Pebble received against what the
// gateways did. For each name: one gateway of the fleet obtained a
// certificate, once; every other order is one renewal by one gateway (each
// renewal replaced a different certificate: two gateways renewing the
// same one would name the same expiry); there are as many orders as that,
// or up to one more for each renewal begun and cut short by a gateway's
// stop;
// and no order began before the one before it was issued. Caddy renews at
// two thirds of a certificate's lifetime or at a random time of the
// renewal window the ACME server suggests (ARI), whichever comes first,
// so the number of renewals is not fixed: each name must have had at
// least minRenewals. While gateways run, an order may be in flight (not
// issued yet, or issued and not yet logged by its gateway): settle is how
// long the check tries again before it reports what it found.
func checkIssuance(t *testing.T, acme *harness.ACME, fleet []*gateway, minRenewals int, settle time.Duration) {
	t.Helper()
	deadline := time.Now().Add(settle)
	for {
		problems, logs := issuanceProblems(t, acme, fleet, minRenewals)
		if len(problems) == 0 || time.Now().After(deadline) {
			for _, l := range logs {
				t.Log(l)
			}
			for _, p := range problems {
				t.Error(p)
			}
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// issuanceProblems returns what checkIssuance finds wrong, and what it
// logs.
func issuanceProblems(t *testing.T, acme *harness.ACME, fleet []*gateway, minRenewals int) (problems, logs []string) {
	t.Helper()
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	byName := map[string][]harness.Issued{}
	for _, o := range acme.Orders(t) {
		if o.Serial == "" {
			errorf("order %s was never issued: a gateway left it", o)
			continue
		}
		key := strings.Join(o.Names, ",")
		byName[key] = append(byName[key], o)
	}
	for _, name := range certNames {
		orders := byName[name]
		delete(byName, name)
		var obtained, renewed, renewing int
		renewedFrom := map[int64]string{}
		for _, g := range fleet {
			obtained += len(certLog(g, "certificate obtained successfully", name))
			renewed += len(certLog(g, "certificate renewed successfully", name))
			attempts := certLog(g, "renewing certificate", name)
			renewing += len(attempts)
			for _, e := range attempts {
				// The certificate being renewed, by its expiry.
				expiry := int64(e.TS + e.Remaining + 0.5)
				if other, dup := renewedFrom[expiry]; dup {
					errorf("%s: %s and %s both renewed the certificate that expires at %d", name, other, g.name, expiry)
				}
				renewedFrom[expiry] = g.name
			}
		}
		var desc []string
		for _, o := range orders {
			desc = append(desc, o.String())
		}
		logs = append(logs, fmt.Sprintf("%s: %d orders (%d obtained, %d renewed by the fleet, %d renewals begun): %s", name, len(orders), obtained, renewed, renewing, strings.Join(desc, "; ")))
		if obtained != 1 {
			errorf("%s: the fleet obtained %d certificates, want one", name, obtained)
		}
		// A gateway stopped while it renews may leave an order the ACME
		// server issued and the gateway never logged as renewed: an order
		// still needs a renewal begun for it, and a renewal ordered once.
		if len(orders) < obtained+renewed || len(orders) > obtained+renewing {
			errorf("%s: the ACME server issued %d certificates; the fleet obtained %d and renewed %d (of %d renewals begun)", name, len(orders), obtained, renewed, renewing)
		}
		if renewed < minRenewals {
			errorf("%s: %d renewals, want at least %d", name, renewed, minRenewals)
		}
		for i := 1; i < len(orders); i++ {
			if orders[i].Seq < orders[i-1].Done {
				errorf("%s: %s was ordered before %s was issued: two gateways ordered the name at once", name, orders[i], orders[i-1])
			}
		}
	}
	for names, orders := range byName {
		errorf("orders for names no site has: %s: %v", names, orders)
	}
	return problems, logs
}

// certEvent is a certificate management log line of a gateway.
type certEvent struct {
	Msg        string  `json:"msg"`
	TS         float64 `json:"ts"`
	Identifier string  `json:"identifier"`
	Remaining  float64 `json:"remaining"` // seconds
}

// certLog returns the gateway's log lines whose message is msg (and, with
// a name, whose identifier is it).
func certLog(g *gateway, msg string, name ...string) []certEvent {
	var out []certEvent
	for _, line := range strings.Split(g.output(), "\n") {
		if !strings.Contains(line, msg) {
			continue
		}
		var e certEvent
		if json.Unmarshal([]byte(line), &e) != nil || e.Msg != msg {
			continue
		}
		if len(name) > 0 && e.Identifier != name[0] {
			continue
		}
		out = append(out, e)
	}
	return out
}

// sameSerial returns the serial of the certificate every gateway serves for
// name, verified against the ACME server's roots, or an error if they
// differ or one fails.
func sameSerial(fleet []*gateway, name string, roots *x509.CertPool) (string, error) {
	cfg := &tls.Config{RootCAs: roots}
	var serials []string
	for _, g := range fleet {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		st, err := tlsState(ctx, "127.0.0.1:"+strconv.Itoa(g.HTTPS), name, cfg)
		cancel()
		if err != nil {
			return "", fmt.Errorf("%s: %v", g.name, err)
		}
		leaf := st.PeerCertificates[0]
		if !slices.Contains(leaf.DNSNames, name) {
			return "", fmt.Errorf("%s serves %v for %s", g.name, leaf.DNSNames, name)
		}
		serials = append(serials, hexSerial(leaf.SerialNumber))
	}
	for _, s := range serials[1:] {
		if s != serials[0] {
			return "", fmt.Errorf("the gateways serve different certificates for %s: serials %v", name, serials)
		}
	}
	return serials[0], nil
}

// waitSameSerial waits until every gateway serves one certificate for name.
func waitSameSerial(t *testing.T, fleet []*gateway, name string, roots *x509.CertPool, timeout time.Duration) string {
	t.Helper()
	var s string
	waitFor(t, timeout, "one certificate served for "+name, func() (bool, string) {
		var err error
		s, err = sameSerial(fleet, name, roots)
		if err != nil {
			return false, err.Error()
		}
		return true, ""
	})
	return s
}

// hexSerial writes a serial as harness.Issued does.
func hexSerial(n *big.Int) string { return n.Text(16) }
