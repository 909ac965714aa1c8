// Package test holds frontdoor's integration tests: the demo Caddyfile served
// by an in-process frontdoor, the frontdoor binary's commands, GeoIP hot
// reload seen through the metrics endpoint, and the Caddyfile adaptation
// golden files in caddyfile_adapt/.
package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	// Caddy's standard modules and frontdoor's, as in cmd/frontdoor.
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/frontdoor-gateway/frontdoor/modules"
	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// adminPort is this package's in-process Caddy admin port; its HTTP ports
// are 19000-19099.
const adminPort = 2310

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
)

// frontdoorBinary builds cmd/frontdoor once per test run.
func frontdoorBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "frontdoor-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "frontdoor")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/frontdoor")
		cmd.Dir = harness.RepoRoot(t)
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building frontdoor: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}
