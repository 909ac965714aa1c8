package main

import (
	"runtime/debug"
)

// version is frontdoor's release, set when building a release:
//
//	go build -ldflags "-X main.version=v1.2.0" ./cmd/frontdoor
//
// Without it, the version the Go toolchain derived from the checkout is
// used (a pseudo-version with the commit, or "devel").
var version string

// buildInfo is what versionText reads of the binary's build information.
type buildInfo struct {
	mainVersion string
	revision    string
	modified    bool
	goVersion   string
}

func readBuildInfo() buildInfo {
	var b buildInfo
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.mainVersion, b.goVersion = bi.Main.Version, bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.revision = s.Value
		case "vcs.modified":
			b.modified = s.Value == "true"
		}
	}
	return b
}

// versionText is "frontdoor <version> (commit <hash>[, modified], <go>)".
func versionText(b buildInfo) string {
	v := version
	if v == "" {
		v = b.mainVersion
	}
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	s := "frontdoor " + v
	var details []string
	if b.revision != "" {
		c := b.revision
		if len(c) > 12 {
			c = c[:12]
		}
		if b.modified {
			c += ", modified"
		}
		details = append(details, "commit "+c)
	}
	if b.goVersion != "" {
		details = append(details, b.goVersion)
	}
	if len(details) > 0 {
		s += " ("
		for i, d := range details {
			if i > 0 {
				s += ", "
			}
			s += d
		}
		s += ")"
	}
	return s
}
