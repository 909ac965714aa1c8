#!/usr/bin/env bash
# Builds a Loki binary from its Go module (Loki ships no Debian package) and
# caches it per machine, so the test harness can run a real Loki on loopback.
# Prints the binary's path. Cold build: about 10 minutes on 2 cores.
set -euo pipefail

version="${LOKI_VERSION:-v3.7.8}"
cache="${FRONTDOOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/frontdoor}"
bin="$cache/loki-$version"

if [ -x "$bin" ] && "$bin" -version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache"
# One build at a time per machine; a second caller waits and reuses it.
exec 9>"$cache/loki.lock"
flock 9
if [ -x "$bin" ] && "$bin" -version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi
work="$(mktemp -d "$cache/loki-src.XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

echo "building Loki $version (cached at $bin)" >&2
dir="$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/grafana/loki/v3@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -n "$dir" ] || { echo "go mod download of Loki $version failed" >&2; exit 1; }
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
cd "$work/src"
# The nested push module is not part of the module zip: use the published one.
go mod edit -dropreplace github.com/grafana/loki/pkg/push
GOFLAGS=-mod=mod go build -trimpath -o "$bin.tmp" ./cmd/loki
mv "$bin.tmp" "$bin"
echo "$bin"
