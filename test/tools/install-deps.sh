#!/usr/bin/env bash
# Installs what the tests and benchmarks need, idempotently:
#   - Debian packages: redis-server, prometheus (with promtool), nginx with the
#     geoip2 module, wrk, hey (apt-get, when running as root);
#   - Loki, built from its Go module and cached per machine (install-loki.sh);
#   - Node.js packages for the dashboard type check (test/dashboards).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

packages=(redis-server prometheus nginx libnginx-mod-http-geoip2 wrk hey chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
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

"$here/install-loki.sh" >/dev/null

if [ -f "$here/../dashboards/package.json" ]; then
  (cd "$here/../dashboards" && { [ -d node_modules ] || npm ci --no-audit --no-fund --silent; })
fi
echo "test dependencies are installed" >&2
