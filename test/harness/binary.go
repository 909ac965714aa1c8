package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
	binOut  []byte
)

// FrontdoorBinary returns the path of a frontdoor binary for tests that run
// it as a separate process: $FRONTDOOR_BIN when set (`make test` sets it to
// the bin/frontdoor it has just built), else one built from this tree once
// per test process. Test packages that call it run their tests through Main,
// which removes the built binary.
func FrontdoorBinary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("FRONTDOOR_BIN"); bin != "" {
		if !isExecutable(bin) {
			t.Fatalf("FRONTDOOR_BIN=%s is not an executable", bin)
		}
		return bin
	}
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "frontdoor-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "frontdoor")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/frontdoor")
		cmd.Dir = RepoRoot(t)
		binOut, binErr = cmd.CombinedOutput()
	})
	if binErr != nil {
		t.Fatalf("building frontdoor: %v\n%s", binErr, binOut)
	}
	return binPath
}

// Main runs a test package's tests and removes what FrontdoorBinary built.
// Use it as the package's TestMain body: func TestMain(m *testing.M) { harness.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
