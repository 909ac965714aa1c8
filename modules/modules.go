// Package modules registers every frontdoor Caddy module, and the
// third-party modules frontdoor's features rely on. Import it for its side
// effects, next to Caddy's standard modules:
//
//	import _ "github.com/frontdoor-gateway/frontdoor/modules"
package modules

import (
	"context"

	// Caddy's storage in Redis (caddy.storage.redis): certificates, ACME
	// locks and maintenance switches shared by a fleet of gateways.
	_ "github.com/pberkel/caddy-storage-redis"
	"github.com/redis/go-redis/v9"

	_ "github.com/frontdoor-gateway/frontdoor/modules/accesslog"
	_ "github.com/frontdoor-gateway/frontdoor/modules/fastjson"
	_ "github.com/frontdoor-gateway/frontdoor/modules/geoipapp"
	_ "github.com/frontdoor-gateway/frontdoor/modules/hostdispatch"
	_ "github.com/frontdoor-gateway/frontdoor/modules/idledrain"
	_ "github.com/frontdoor-gateway/frontdoor/modules/lokiwriter"
	_ "github.com/frontdoor-gateway/frontdoor/modules/maintenance"
	_ "github.com/frontdoor-gateway/frontdoor/modules/sitesadapter"
	_ "github.com/frontdoor-gateway/frontdoor/modules/throttle"
	_ "github.com/frontdoor-gateway/frontdoor/modules/traceid"
	_ "github.com/frontdoor-gateway/frontdoor/modules/visitorinfo"
	_ "github.com/frontdoor-gateway/frontdoor/modules/visitormatch"
	_ "github.com/frontdoor-gateway/frontdoor/modules/visitorredirect"
	_ "github.com/frontdoor-gateway/frontdoor/modules/waitingroom"
)

func init() {
	// go-redis logs every failed dial of every client in the process (the
	// storage's and the stores') on stderr, once per attempt. Each caller
	// gets the error and reports it itself: the maintenance switches once
	// per change, the stores at a bounded rate.
	redis.SetLogger(quietRedis{})
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}
