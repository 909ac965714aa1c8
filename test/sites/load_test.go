package sites

import (
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
