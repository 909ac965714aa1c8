package limiter

import (
	"strings"
	"testing"
)

// TestStoreURLErrorsHideThePassword: a store URL that does not parse is
// reported without its password (url.Parse's own error quotes the URL).
func TestStoreURLErrorsHideThePassword(t *testing.T) {
	for _, raw := range []string{
		"redis://frontdoor:s3cretpw@127.0.0.1:bad/0",
		"redis://frontdoor:s3cretpw@127.0.0.1:6379/zero",
		"rediss://:s3cretpw@[::1/0",
	} {
		for name, err := range map[string]error{"CheckStoreURL": CheckStoreURL(raw), "NewRedis": func() error { _, err := NewRedis(raw, "p"); return err }()} {
			if err == nil {
				t.Fatalf("%s(%q) accepted it", name, raw)
			}
			if strings.Contains(err.Error(), "s3cretpw") {
				t.Errorf("%s(%q): %v shows the password", name, raw, err)
			}
			if !strings.Contains(err.Error(), "xxxxx") {
				t.Errorf("%s(%q): %v does not say which URL (masked)", name, raw, err)
			}
		}
	}
}
