package maintenance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretPlaceholders: a bypass secret from {env.*} that is not set in
// this process says where the environment is read (the running gateway,
// not the shell of `frontdoor reload`) and offers {file.*}, which works.
func TestSecretPlaceholders(t *testing.T) {
	h := &Handler{Name: "shop", BypassSecret: "{env.FD_TEST_BYPASS_UNSET}"}
	err := h.compile()
	if err == nil {
		t.Fatal("an unset {env.*} secret was accepted")
	}
	for _, want := range []string{"FD_TEST_BYPASS_UNSET", "running frontdoor process", "frontdoor reload", "{file./path/to/secret}"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}

	path := filepath.Join(t.TempDir(), "bypass")
	if err := os.WriteFile(path, []byte("a-random-secret-of-32-characters\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h = &Handler{Name: "shop", BypassSecret: "{file." + path + "}"}
	if err := h.compile(); err != nil {
		t.Fatalf("a {file.*} secret: %v", err)
	}
}
