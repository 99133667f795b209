#!/usr/bin/env bash
# Throughput of `crosscheck fuzz cci --role csp-a` against wrk on the same endpoint of
# the same simulator, side by side (not run in CI; needs wrk: apt-get install -y wrk).
#
#   harness/benches/fuzz-vs-wrk.sh [CASES] [DURATION] [ROUNDS]
#
# Starts `crosscheck sim cci --role csp-a` on a free port, then, ROUNDS times (3 by
# default), runs wrk with 1 and 32 connections (POSTing a ConfirmActivationKey body,
# harness/benches/confirm.lua) and crosscheck fuzz with 8 and 32 in flight against the
# same simulator through a copy of fixtures/targets/cci-csp-a.yaml. Prints every rate,
# then the median of each and fuzz's share of wrk's rate at 32.
set -euo pipefail
cd "$(dirname "$0")/../.."
CASES=${1:-100000}
DURATION=${2:-10s}
ROUNDS=${3:-3}
BIN=${CROSSCHECK_BIN:-target/release/crosscheck}
[ -x "$BIN" ] || cargo build --release
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MOCK=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
WORK=$(mktemp -d)
"$BIN" sim cci --role csp-a --listen "127.0.0.1:$PORT" --peer-base "http://127.0.0.1:$MOCK/v1" >/dev/null 2>&1 &
SIM=$!
trap 'kill $SIM 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
sed -e "s/127.0.0.1:18080/127.0.0.1:$PORT/g" -e "s/127.0.0.1:18181/127.0.0.1:$MOCK/g" \
  fixtures/targets/cci-csp-a.yaml >"$WORK/target.yaml"
URL="http://127.0.0.1:$PORT"
: >"$WORK/rates"
for round in $(seq "$ROUNDS"); do
  for c in 1 32; do
    rate=$(wrk -t1 -c$c -d"$DURATION" -s harness/benches/confirm.lua "$URL" | awk '/Requests\/sec/ {print $2}')
    echo "round $round: wrk, $c connection(s): $rate requests/s"
    echo "wrk-$c $rate" >>"$WORK/rates"
  done
  for c in 8 32; do
    line=$("$BIN" fuzz cci --role csp-a --target "$WORK/target.yaml" --cases "$CASES" \
      --concurrency $c --connections keep-alive --report-dir "$WORK/fuzz-$c" | head -n 1)
    echo "round $round: crosscheck fuzz, $c in flight: ${line#fuzz: }"
    rate=$(echo "$line" | sed -n 's/.*(\([0-9.]*\) cases\/s.*/\1/p')
    echo "fuzz-$c $rate" >>"$WORK/rates"
  done
done
median() { awk -v k="$1" '$1 == k {print $2}' "$WORK/rates" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
echo "median of $ROUNDS: wrk 1 connection $(median wrk-1)/s, wrk 32 connections $(median wrk-32)/s, fuzz 8 in flight $(median fuzz-8)/s, fuzz 32 in flight $(median fuzz-32)/s"
awk -v f="$(median fuzz-32)" -v w="$(median wrk-32)" 'BEGIN {printf "fuzz at 32 in flight: %.0f %% of wrk at 32 connections\n", 100 * f / w}'
