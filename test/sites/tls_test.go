package sites

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for names and its key as PEM files in
// dir, and returns the certificate's serial.
func selfSigned(t *testing.T, dir, base string, names ...string) *big.Int {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, base+".pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, dir, base+".key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})))
	return serial
}

// TestOwnCertificateFiles serves a site with its own certificate files
// (tls: {cert, key}, relative to the catalog) next to a site with a local
// CA certificate: each name gets its own certificate, and Caddy issues
// none for the site that brought its own.
func TestOwnCertificateFiles(t *testing.T) {
	dir := t.TempDir()
	serial := selfSigned(t, dir, "certs/shop", "shop.localhost")
	catalog := writeFile(t, dir, "sites.yaml", fmt.Sprintf(`admin: %s
storage: %s
http_port: 19682
https_port: 19681
defaults:
  listen: [127.0.0.1:19681]
sites:
  shop:
    hosts: [shop.localhost]
    tls: {cert: certs/shop.pem, key: certs/shop.key}
    respond: {body: shop}
  intranet:
    hosts: [intranet.localhost]
    tls: internal
    respond: {body: intranet}
`, adminAddr, filepath.Join(dir, "storage")))
	runFrontdoor(t, catalog)

	served := func(name string) *x509.Certificate {
		t.Helper()
		var last error
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", "127.0.0.1:19681",
				&tls.Config{ServerName: name, InsecureSkipVerify: true})
			if err != nil {
				last = err
				continue
			}
			defer conn.Close()
			return conn.ConnectionState().PeerCertificates[0]
		}
		t.Fatalf("no TLS handshake for %s: %v", name, last)
		return nil
	}
	if c := served("shop.localhost"); c.SerialNumber.Cmp(serial) != 0 {
		t.Fatalf("shop.localhost is served a certificate with serial %v issued by %q, want our file's %v", c.SerialNumber, c.Issuer, serial)
	}
	if c := served("intranet.localhost"); c.SerialNumber.Cmp(serial) == 0 || !strings.Contains(c.Issuer.CommonName, "Caddy") {
		t.Fatalf("intranet.localhost got serial %v from %q, want a certificate of the local CA", c.SerialNumber, c.Issuer)
	}
	// Caddy manages no certificate for the name that has its own (and
	// does for the other: the check looks in the right place).
	if matches, _ := filepath.Glob(filepath.Join(dir, "storage", "certificates", "*", "intranet.localhost")); len(matches) == 0 {
		t.Fatal("Caddy stored no certificate for intranet.localhost: the storage layout is not what this test reads")
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "storage", "certificates", "*", "shop.localhost")); len(matches) != 0 {
		t.Fatalf("Caddy stored a certificate of its own for shop.localhost: %v", matches)
	}
}
