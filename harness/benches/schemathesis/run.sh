#!/usr/bin/env bash
# An outside check of the csp-a reference simulator: Schemathesis (from PyPI) runs the
# upstream openapi.yaml of ../shared/specs/connection-coordinator against
# `crosscheck sim cci --role csp-a --dialect v1` (not run in CI; needs Python 3 and
# PyPI; README, "An outside check of the simulators", says what it reports and why).
#
#   harness/benches/schemathesis/run.sh [MAX_EXAMPLES] [SEED]
#
# Installs Schemathesis into a virtualenv under target/ (once), starts the simulator on
# a free port, runs every phase with the settings in schemathesis.toml beside this
# script, and exits with Schemathesis's status.
set -euo pipefail
cd "$(dirname "$0")/../../.."
EXAMPLES=${1:-25}
SEED=${2:-1}
SPEC=${CROSSCHECK_SPEC:-../shared/specs/connection-coordinator/openapi.yaml}
BIN=${CROSSCHECK_BIN:-target/debug/crosscheck}
VENV=target/schemathesis-venv
[ -x "$BIN" ] || cargo build
[ -x "$VENV/bin/schemathesis" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q 'schemathesis>=4,<5'; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" sim cci --role csp-a --dialect v1 --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
SIM=$!
trap 'kill $SIM 2>/dev/null' EXIT
for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
"$VENV/bin/schemathesis" --config-file harness/benches/schemathesis/schemathesis.toml run "$SPEC" \
  --url "http://127.0.0.1:$PORT/v1" --max-examples "$EXAMPLES" --seed "$SEED"
