#!/usr/bin/env bash
# Builds VictoriaLogs (Apache-2.0, github.com/VictoriaMetrics/VictoriaLogs)
# from its Go module and caches the binary per machine. The tests use it as
# the real receiver of the Loki push protocol (/insert/loki/api/v1/push):
# an implementation written independently of Loki. Loki itself is AGPL and
# is never fetched or built here. Prints the binary's path. Cold build:
# about a minute on 2 cores.
set -euo pipefail

version="${VICTORIALOGS_VERSION:-v1.52.1}"
cache="${FRONTDOOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/frontdoor}"
bin="$cache/victoria-logs-$version"

works() { [ -x "$bin" ] && "$bin" -version >/dev/null 2>&1; }
if works; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache"
# One build at a time per machine; a second caller waits and reuses it.
exec 9>"$cache/victoria-logs.lock"
flock 9
if works; then
  echo "$bin"
  exit 0
fi
work="$(mktemp -d "$cache/victoria-logs-src.XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

echo "building VictoriaLogs $version (cached at $bin)" >&2
dir="$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/VictoriaMetrics/VictoriaLogs@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -n "$dir" ] || { echo "go mod download of VictoriaLogs $version failed" >&2; exit 1; }
# Build from the module's own go.mod and go.sum, outside this project.
(cd "$dir" && GOFLAGS= go build -trimpath -o "$bin.tmp" ./app/victoria-logs)
mv "$bin.tmp" "$bin"
echo "$bin"
