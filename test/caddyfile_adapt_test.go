package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestCaddyfileAdapt checks every caddyfile_adapt/*.caddyfiletest golden
// file: a Caddyfile, a line of ten dashes, and the JSON it adapts to.
func TestCaddyfileAdapt(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("caddyfile_adapt", "*.caddyfiletest"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files in caddyfile_adapt/")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".caddyfiletest"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			caddyfile, want, ok := strings.Cut(string(data), "\n----------\n")
			if !ok {
				t.Fatalf("%s: no ---------- separator line", f)
			}
			caddyfile += "\n"
			want = strings.TrimSpace(want)
			if !caddytest.CompareAdapt(t, f, caddyfile, "caddyfile", want) {
				t.Fatalf("%s: adapted JSON differs (see the log above)", f)
			}
		})
	}
}
