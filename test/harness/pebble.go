package harness

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// PebbleBinary finds the Pebble binary built by test/tools/install-pebble.sh
// (or named by FRONTDOOR_PEBBLE).
func PebbleBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("FRONTDOOR_PEBBLE"); p != "" {
		if isExecutable(p) {
			return p
		}
		Missing(t, "FRONTDOOR_PEBBLE=%s is not an executable", p)
	}
	out, err := exec.Command("bash", "-c", `
		cache="${FRONTDOOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/frontdoor}"
		ls -1 "$cache"/pebble-v* 2>/dev/null | grep -v '\.tmp$' | sort -V | tail -n 1`).Output()
	p := strings.TrimSpace(string(out))
	if err != nil || p == "" || !isExecutable(p) {
		Missing(t, "Pebble is not built")
	}
	return p
}

// ACME is a running Pebble: a real ACME server (Let's Encrypt's test CA) on
// loopback, in its always-valid mode (no challenge is checked, so any name
// gets a certificate without DNS) and without its random delays.
type ACME struct {
	*Process
	// Directory is the ACME directory URL (Caddy's acme_ca).
	Directory string
	// ServerCA is a PEM file of the CA of Pebble's own HTTPS certificate:
	// what a client of the ACME server trusts (Caddy's acme_ca_root).
	ServerCA string
	// Validity is the lifetime of the certificates Pebble issues.
	Validity time.Duration

	mgmt   string // management interface, https://host:port
	client *http.Client
}

// Pebble starts Pebble on two loopback ports (ACME, management) with a
// fresh TLS certificate for its listeners, issuing certificates valid for
// validity (whole seconds).
func Pebble(t testing.TB, validity time.Duration) *ACME {
	t.Helper()
	bin := PebbleBinary(t)
	dir := t.TempDir()
	caPEM, certFile, keyFile := pebbleServerCert(t, dir)
	caFile := filepath.Join(dir, "server-ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(FreePort(t))
	mgmt := "127.0.0.1:" + strconv.Itoa(FreePort(t))
	secs := int64(validity / time.Second)
	if secs < 1 {
		t.Fatalf("Pebble: a validity of %s is less than a second", validity)
	}
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress":                  addr,
		"managementListenAddress":        mgmt,
		"certificate":                    certFile,
		"privateKey":                     keyFile,
		"httpPort":                       FreePort(t), // unused: every challenge is valid
		"tlsPort":                        FreePort(t),
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
		"retryAfter":                     map[string]int{"authz": 1, "order": 1},
		"keyAlgorithm":                   "ecdsa",
		"profiles": map[string]any{
			"default": map[string]any{"description": "frontdoor tests", "validityPeriod": secs},
		},
	}}
	b, _ := json.Marshal(cfg)
	cfgFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(cfgFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-config", cfgFile)
	cmd.Env = append(os.Environ(),
		"PEBBLE_VA_ALWAYS_VALID=1", // no challenge is checked
		"PEBBLE_VA_NOSLEEP=1",      // no random delay before validating
		"PEBBLE_WFE_NONCEREJECT=0", // no nonce refused at random
		"PEBBLE_AUTHZREUSE=0",      // every order its own authorizations
	)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	a := &ACME{
		Process:   Start(t, "pebble", addr, cmd),
		Directory: "https://" + addr + "/dir",
		ServerCA:  caFile,
		Validity:  time.Duration(secs) * time.Second,
		mgmt:      "https://" + mgmt,
		client:    &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := a.client.Get(a.Directory)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if a.Exited() || time.Now().After(deadline) {
			t.Fatalf("Pebble did not serve %s (%v):\n%s", a.Directory, err, a.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return a
}

// Roots returns a pool of the roots Pebble issues under (it makes a new one
// at every start), to verify the certificates gateways serve.
func (a *ACME) Roots(t testing.TB) *x509.CertPool {
	t.Helper()
	resp, err := a.client.Get(a.mgmt + "/roots/0")
	if err != nil {
		t.Fatalf("Pebble roots: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	pool := x509.NewCertPool()
	if resp.StatusCode != http.StatusOK || !pool.AppendCertsFromPEM(b) {
		t.Fatalf("Pebble roots: %s: %.200s", resp.Status, b)
	}
	return pool
}

// Issued is one certificate Pebble issued, as its log and management
// interface tell.
type Issued struct {
	Order    string // the order's id
	Serial   string // lower-case hex without leading zeros (big.Int.Text(16))
	Names    []string
	Replaces string // the order whose certificate this one renews (ARI), if any
	// Seq is the position of the order's creation, and Done of the
	// issuance, among Pebble's log lines: orders and issuances are in the
	// order Pebble saw them.
	Seq, Done int
}

var (
	pebbleOrderRE   = regexp.MustCompile(`Added order "([^"]+)" to the db`)
	pebbleIssuedRE  = regexp.MustCompile(`Issued certificate serial ([0-9a-f]+) for order (\S+)`)
	pebbleReplaceRE = regexp.MustCompile(`ARI: order "([^"]+)" is a replacement of "([^"]+)"`)
)

// Orders returns every order Pebble received, in order, with the
// certificate it issued for each (Serial empty while none is): read from
// Pebble's own log, the names from the certificates its management
// interface returns by serial.
func (a *ACME) Orders(t testing.TB) []Issued {
	t.Helper()
	var list []Issued
	byID := map[string]int{}
	replaces := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(a.Output()))
	for i := 0; sc.Scan(); i++ {
		line := sc.Text()
		if m := pebbleOrderRE.FindStringSubmatch(line); m != nil {
			byID[m[1]] = len(list)
			list = append(list, Issued{Order: m[1], Seq: i, Replaces: replaces[m[1]]})
		}
		if m := pebbleReplaceRE.FindStringSubmatch(line); m != nil {
			replaces[m[1]] = m[2] // logged before the order is added
		}
		if m := pebbleIssuedRE.FindStringSubmatch(line); m != nil {
			if j, ok := byID[m[2]]; ok {
				n, _ := new(big.Int).SetString(m[1], 16)
				list[j].Serial, list[j].Done = n.Text(16), i
			}
		}
	}
	for i := range list {
		if list[i].Serial != "" {
			list[i].Names = a.certNames(t, list[i].Serial)
		}
	}
	return list
}

// certNames asks the management interface for a certificate by serial.
func (a *ACME) certNames(t testing.TB, serial string) []string {
	t.Helper()
	resp, err := a.client.Get(a.mgmt + "/cert-status-by-serial/" + serial)
	if err != nil {
		t.Fatalf("Pebble certificate %s: %v", serial, err)
	}
	defer resp.Body.Close()
	var st struct{ Certificate string }
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("Pebble certificate %s: %s %v", serial, resp.Status, err)
	}
	block, _ := pem.Decode([]byte(st.Certificate))
	if block == nil {
		t.Fatalf("Pebble certificate %s: no PEM", serial)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("Pebble certificate %s: %v", serial, err)
	}
	return c.DNSNames
}

// pebbleServerCert makes a CA and a certificate for 127.0.0.1 and
// localhost signed by it, for Pebble's HTTPS listeners.
func pebbleServerCert(t testing.TB, dir string) (caPEM []byte, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "frontdoor test ACME server CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), certFile, keyFile
}

// String names the certificate in test messages.
func (i Issued) String() string {
	s := fmt.Sprintf("order %s", i.Order)
	if i.Serial != "" {
		s += fmt.Sprintf(" -> serial %s %v", i.Serial, i.Names)
	}
	if i.Replaces != "" {
		s += " (renews order " + i.Replaces + ")"
	}
	return s
}
