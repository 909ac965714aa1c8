#!/usr/bin/env bash
# Refreshes the embedded country database from the npm package
# @ip-location-db/geo-whois-asn-country-mmdb (CC BY 4.0, data by the NRO).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent @ip-location-db/geo-whois-asn-country-mmdb >/dev/null
tar xzf ./*.tgz
gzip -9 -n -c package/geo-whois-asn-country.mmdb > "$here/data/geo-whois-asn-country.mmdb.gz.tmp"
mv "$here/data/geo-whois-asn-country.mmdb.gz.tmp" "$here/data/geo-whois-asn-country.mmdb.gz"
version="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' package/package.json)"
echo "embedded GeoIP database updated to @ip-location-db/geo-whois-asn-country-mmdb $version"
