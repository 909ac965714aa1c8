// Package test holds frontdoor's integration tests: the demo Caddyfile served
// by an in-process frontdoor, the frontdoor binary's commands, GeoIP hot
// reload seen through the metrics endpoint, and the Caddyfile adaptation
// golden files in caddyfile_adapt/.
package test

import (
	"testing"

	// Caddy's standard modules and frontdoor's, as in cmd/frontdoor.
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/frontdoor-gateway/frontdoor/modules"
	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// adminPort is this package's in-process Caddy admin port; its HTTP ports
// are 19000-19099.
const adminPort = 2310

// frontdoorBinary is the binary the command tests run.
func frontdoorBinary(t *testing.T) string { return harness.FrontdoorBinary(t) }

func TestMain(m *testing.M) { harness.Main(m) }
