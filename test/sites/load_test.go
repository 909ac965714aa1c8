package sites

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// exampleCatalog copies configs/sites.example.yaml and its sites.d/ into
// dir with this package's ports (admin 2316, sites 19671, upstreams
// 19672-19674, metrics 19679).
func exampleCatalog(t *testing.T, dir string) string {
	t.Helper()
	root := harness.RepoRoot(t)
	ports := strings.NewReplacer("localhost:2019", adminAddr, "127.0.0.1:8080", "127.0.0.1:19671",
		"127.0.0.1:9001", "127.0.0.1:19672", "127.0.0.1:9002", "127.0.0.1:19673", "127.0.0.1:9003", "127.0.0.1:19674",
		"127.0.0.1:9180", "127.0.0.1:19679")
	for _, name := range []string{"sites.example.yaml", "sites.d/api.yaml"} {
		b, err := os.ReadFile(filepath.Join(root, "configs", name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, name, ports.Replace(string(b)))
	}
	return filepath.Join(dir, "sites.example.yaml")
}

// TestExampleCatalogEveryWay runs the example catalog, and loads it again
// every way the README shows: `frontdoor reload`, and POST /load. No way
// drops the included api site silently: a body with a relative include is
// refused with its line, and with an absolute include_base it loads whole.
func TestExampleCatalogEveryWay(t *testing.T) {
	dir := t.TempDir()
	catalog := exampleCatalog(t, dir)
	runFrontdoor(t, catalog)
	waitHost(t, "127.0.0.1:19671", "api.localhost", 10*time.Second)
	client := &http.Client{Timeout: 5 * time.Second}
	serves := func(host string) bool {
		resp, _ := get(t, client, "127.0.0.1:19671", host, "/")
		return resp.StatusCode == http.StatusOK
	}
	for _, host := range []string{"shop.localhost", "brand.localhost", "api.localhost"} {
		if !serves(host) {
			t.Fatalf("%s is not served by the example catalog", host)
		}
	}

	t.Run("frontdoor reload", func(t *testing.T) {
		// From another directory: includes are read from the catalog's.
		out, err := frontdoorCmd(t, t.TempDir(), "reload", "--config", catalog, "--adapter", "sites", "--address", adminAddr)
		if err != nil {
			t.Fatalf("reload: %v\n%s", err, out)
		}
		if !serves("api.localhost") {
			t.Fatal("api.localhost is gone after frontdoor reload")
		}
	})
	body, err := os.ReadFile(catalog)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("POST /load with a relative include", func(t *testing.T) {
		status, answer, err := postLoad(body)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusBadRequest || !strings.Contains(answer, `include \"sites.d/*.yaml\" is relative`) {
			t.Fatalf("POST /load: %d %s; want 400 naming the relative include", status, answer)
		}
		if !serves("api.localhost") {
			t.Fatal("a refused load changed the running config")
		}
	})
	t.Run("POST /load with include_base", func(t *testing.T) {
		status, answer, err := postLoad(append([]byte("include_base: "+dir+"\n"), body...))
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusOK {
			t.Fatalf("POST /load: %d %s", status, answer)
		}
		for _, host := range []string{"shop.localhost", "api.localhost"} {
			if !serves(host) {
				t.Fatalf("%s is not served after POST /load with include_base", host)
			}
		}
	})
}

// TestUnknownHosts asks for a host no site serves: 404 by default (not an
// empty 200), and what unknown_hosts says otherwise: 421, a closed
// connection (nginx's 444), or a named site (nginx's default_server).
func TestUnknownHosts(t *testing.T) {
	dir := t.TempDir()
	catalog := func(unknown string) string {
		return "admin: " + adminAddr + "\nstorage: " + filepath.Join(dir, "storage") + "\n" + unknown +
			"defaults:\n  tls: off\n  listen: [127.0.0.1:19676]\nsites:\n" +
			"  shop: {hosts: [shop.localhost], respond: {body: shop}}\n" +
			"  brand: {hosts: [brand.localhost], respond: {body: brand}}\n"
	}
	runFrontdoor(t, writeFile(t, dir, "sites.yaml", catalog("")))
	waitHost(t, "127.0.0.1:19676", "shop.localhost", 10*time.Second)
	client := &http.Client{Timeout: 5 * time.Second}

	resp, body := get(t, client, "127.0.0.1:19676", "nobody.example", "/")
	if resp.StatusCode != http.StatusNotFound || body != "No site is served for this host.\n" {
		t.Fatalf("unknown host by default: %d %q, want 404", resp.StatusCode, body)
	}
	for _, c := range []struct {
		setting, want string
	}{
		{"unknown_hosts: 421\n", "421"},
		{"unknown_hosts: brand\n", "200 brand"},
		{"unknown_hosts: close\n", "closed"},
	} {
		t.Run(c.setting, func(t *testing.T) {
			if status, answer, err := postLoad([]byte(catalog(c.setting))); err != nil || status != http.StatusOK {
				t.Fatalf("POST /load: %d %v %s", status, err, answer)
			}
			client.CloseIdleConnections()
			req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:19676/", nil)
			req.Host = "nobody.example"
			resp, err := client.Do(req)
			got := "closed"
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got = strings.TrimSpace(fmt.Sprintf("%d %s", resp.StatusCode, map[bool]string{true: string(b)}[resp.StatusCode == 200]))
			}
			if got != c.want {
				t.Fatalf("unknown host: %s, want %s", got, c.want)
			}
			if resp, body := get(t, client, "127.0.0.1:19676", "shop.localhost", "/"); resp.StatusCode != 200 || body != "shop" {
				t.Fatalf("shop.localhost: %d %q", resp.StatusCode, body)
			}
		})
	}
}
