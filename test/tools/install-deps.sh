#!/usr/bin/env bash
# Installs what the tests and benchmarks need, idempotently:
#   - Debian packages: redis-server, prometheus (with promtool), nginx with the
#     geoip2 module, wrk, hey (apt-get, when running as root);
#   - VictoriaLogs, the receiver of the Loki push protocol the tests ship
#     logs to, built from its Go module and cached per machine
#     (install-victorialogs.sh; Loki itself is AGPL and never fetched);
#   - Node.js packages for the dashboard type check (test/dashboards).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

packages=(redis-server prometheus nginx libnginx-mod-http-geoip2 wrk hey chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" -ne 0 ]; then
  # Not root: say what is missing and go on. The tests that need these
  # skip (and fail under CI=true, where a missing component is an error).
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "  the tests that need them will skip; to install: sudo apt-get install ${missing[*]}" >&2
  missing=()
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  # Keep the packages' own services from starting: the tests start their own
  # instances on loopback ports.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    created_policy=1
    # Removed however apt-get ends, so services start normally afterwards.
    trap 'rm -f "$policy"' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || apt-get update
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ "$created_policy" = 1 ]; then
    rm -f "$policy"
    trap - EXIT
  fi
fi

"$here/install-victorialogs.sh" >/dev/null
"$here/install-pebble.sh" >/dev/null

# The dashboards' checkers (Grafana's schema and LogQL grammar), installed
# again whenever package-lock.json changes.
dash="$here/../dashboards"
if [ -f "$dash/package-lock.json" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: the dashboard checks will skip (install Node.js and npm)" >&2
  elif ! cmp -s "$dash/package-lock.json" "$dash/node_modules/.frontdoor-lock"; then
    (cd "$dash" && npm ci --no-audit --no-fund --silent --loglevel=error && cp package-lock.json node_modules/.frontdoor-lock)
  fi
fi
echo "test dependencies are installed" >&2
