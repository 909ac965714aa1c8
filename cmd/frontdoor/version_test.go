package main

import "testing"

func TestVersionText(t *testing.T) {
	tests := []struct {
		name    string
		release string
		b       buildInfo
		want    string
	}{
		{"release build", "v1.2.0", buildInfo{mainVersion: "(devel)", revision: "0123456789abcdef0123", goVersion: "go1.26.8"},
			"frontdoor v1.2.0 (commit 0123456789ab, go1.26.8)"},
		{"checkout with changes", "", buildInfo{mainVersion: "v0.0.0-20261201120000-0123456789ab+dirty", revision: "0123456789abcdef0123", modified: true, goVersion: "go1.26.8"},
			"frontdoor v0.0.0-20261201120000-0123456789ab+dirty (commit 0123456789ab, modified, go1.26.8)"},
		{"no version control", "", buildInfo{mainVersion: "(devel)", goVersion: "go1.26.8"}, "frontdoor devel (go1.26.8)"},
		{"no build information", "", buildInfo{}, "frontdoor devel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			version = tt.release
			defer func() { version = "" }()
			if got := versionText(tt.b); got != tt.want {
				t.Fatalf("versionText = %q, want %q", got, tt.want)
			}
		})
	}
}
