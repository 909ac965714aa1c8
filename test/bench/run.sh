#!/usr/bin/env bash
# frontdoor's benchmarks, run by `make bench` (after `make build` and the
# test dependencies):
#   1. the load benchmark: nginx upstream; frontdoor bare (a) and with every
#      feature (b) shipping its log to VictoriaLogs (the Loki push protocol),
#      also with the receiver unreachable, with a stand-in that
#      drops pushes, with the receiver storing the lines unparsed, and with
#      its log to /dev/null; nginx with geoip2 (c);
#      wrk rounds alternating the targets, a fixed-rate open-loop run, and
#      CPU and allocation profiles of (b);
#   2. the sites scaling benchmark: catalogs of 1, 100, 1,000 and 10,000
#      sites (adapt and load time, peak RSS, req/s of the first, the last
#      and a wildcard site), and a reload of the largest under load;
#   3. the microbenchmarks of the per-request packages and of the in-process
#      handler chain (test/bench/chain), in one table.
# Reports go to stdout and test/bench/results/. Everything stays on loopback
# (ports 19700-19799).
#
# Settings (environment):
#   BENCH_ROUNDS=5 BENCH_DURATION=6s BENCH_CONNECTIONS=64 BENCH_THREADS=1
#   BENCH_RATE=2000 BENCH_RATE_DURATION=5s BENCH_RATE_ROUNDS=5
#   BENCH_PROFILE=10s (0 = none)  BENCH_BENCHTIME=1s
#   BENCH_SITES_COUNTS=1,100,1000,10000 BENCH_SITES_ROUNDS=3 BENCH_SITES_DURATION=4s
#   BENCH_LOAD=1 BENCH_SITES=1 BENCH_MICRO=1 (0 skips a part)
#   BENCH_FLAGS="..." (more fdbench load flags, e.g. -untuned, -gogc 200)
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${BENCH_ROUNDS:=5}" "${BENCH_DURATION:=6s}" "${BENCH_CONNECTIONS:=64}" "${BENCH_THREADS:=1}"
: "${BENCH_RATE:=2000}" "${BENCH_RATE_DURATION:=5s}" "${BENCH_RATE_ROUNDS:=5}"
: "${BENCH_PROFILE:=10s}" "${BENCH_BENCHTIME:=1s}" "${BENCH_LOAD:=1}" "${BENCH_MICRO:=1}"
: "${BENCH_SITES:=1}" "${BENCH_SITES_COUNTS:=1,100,1000,10000}" "${BENCH_SITES_ROUNDS:=3}" "${BENCH_SITES_DURATION:=4s}"
: "${BENCH_FLAGS:=}"

[ -x bin/frontdoor ] || { echo "bin/frontdoor is missing: run make build" >&2; exit 1; }
mkdir -p test/bench/results
tool="$(mktemp -d)/fdbench"
trap 'rm -rf "$(dirname "$tool")"' EXIT
go build -o "$tool" ./test/bench/fdbench

status=0
if [ "$BENCH_LOAD" != 0 ]; then
  # shellcheck disable=SC2086
  "$tool" load -bin bin/frontdoor \
    -rounds "$BENCH_ROUNDS" -duration "$BENCH_DURATION" \
    -connections "$BENCH_CONNECTIONS" -threads "$BENCH_THREADS" \
    -rate "$BENCH_RATE" -rate-duration "$BENCH_RATE_DURATION" -rate-rounds "$BENCH_RATE_ROUNDS" \
    -profile "$BENCH_PROFILE" $BENCH_FLAGS || status=$?
fi
if [ "$BENCH_SITES" != 0 ]; then
  "$tool" sites -bin bin/frontdoor -sites "$BENCH_SITES_COUNTS" \
    -rounds "$BENCH_SITES_ROUNDS" -duration "$BENCH_SITES_DURATION" || status=$?
fi
if [ "$BENCH_MICRO" != 0 ]; then
  "$tool" micro -benchtime "$BENCH_BENCHTIME" || status=$?
fi
# Waiting room (test/bench/waitingroom): a room full of waiting visitors
# against a bare respond site (memory and Redis stores), then the admission
# accuracy of four gateways on one Redis. BENCH_WAITING_ROOM=0 skips it;
# BENCH_WR_DURATION is the accuracy run's length (default 3m).
if [ "${BENCH_WAITING_ROOM:-1}" != 0 ]; then
  go run ./test/bench/waitingroom all -bin bin/frontdoor -duration "${BENCH_WR_DURATION:-3m}" || status=$?
fi
exit "$status"
