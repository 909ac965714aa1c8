#!/usr/bin/env bash
# Builds Pebble (MPL-2.0, github.com/letsencrypt/pebble), Let's Encrypt's
# small ACME test server, from its Go module and caches the binary per
# machine. The fleet tests run it on loopback as the real ACME CA three
# gateways get their certificates from (its always-valid mode skips the
# challenges, a short validity makes renewals happen within a test). Its
# code is built here, outside this project, and never copied into it.
# Prints the binary's path. Cold build: under a minute on 2 cores.
set -euo pipefail

version="${PEBBLE_VERSION:-v2.10.3}"
cache="${FRONTDOOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/frontdoor}"
bin="$cache/pebble-$version"

works() { [ -x "$bin" ] && "$bin" -version >/dev/null 2>&1; }
if works; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache"
# One build at a time per machine; a second caller waits and reuses it.
exec 9>"$cache/pebble.lock"
flock 9
if works; then
  echo "$bin"
  exit 0
fi
work="$(mktemp -d "$cache/pebble-src.XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

echo "building Pebble $version (cached at $bin)" >&2
dir="$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/letsencrypt/pebble/v2@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -n "$dir" ] || { echo "go mod download of Pebble $version failed" >&2; exit 1; }
# Build from the module's own go.mod and go.sum, outside this project.
(cd "$dir" && GOFLAGS= go build -trimpath -ldflags "-X main.version=$version" -o "$bin.tmp" ./cmd/pebble)
mv "$bin.tmp" "$bin"
echo "$bin"
