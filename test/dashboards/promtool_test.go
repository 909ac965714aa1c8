package dashboards_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// TestAlertRules checks configs/prometheus with promtool: the scrape config
// and rule files load, and the alert rules' unit tests pass.
func TestAlertRules(t *testing.T) {
	promtool := harness.LookPath(t, "promtool")
	dir := filepath.Join(harness.RepoRoot(t), "configs", "prometheus")
	for _, args := range [][]string{
		{"check", "config", "prometheus.yml"},
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.Command(promtool, args...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			if !strings.Contains(string(out), "SUCCESS") {
				t.Fatalf("promtool %s did not report SUCCESS:\n%s", strings.Join(args, " "), out)
			}
		})
	}
	t.Run("rule count", func(t *testing.T) {
		cmd := exec.Command(promtool, "check", "rules", "alerts.yml")
		cmd.Dir = dir
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), "SUCCESS: 9 rules found") {
			t.Fatalf("want the 9 alert rules:\n%s", out)
		}
	})
}
