#!/usr/bin/env bash
# Start Steady, the OpenAPI mock server the official SDKs test against, on 127.0.0.1.
#   scripts/steady-up.sh PORT [SPEC]     (SPEC defaults to ../shared/openapi/openapi.yaml)
# Installs @stdy/cli into $STEADY_DIR (default .servers/steady) if missing, waits for its
# health route, prints the server's PID as the last line. Base URL: http://127.0.0.1:PORT
# (no /v1). Stop it with: kill PID
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${1:?usage: steady-up.sh PORT [SPEC]}"
spec="${2:-${OPENAPI_SPEC:-$root/../shared/openapi/openapi.yaml}}"
# a clone elsewhere on this machine still finds the shared spec
[[ -f "$spec" ]] || [[ -n "${2:-}" ]] || spec=/work/shared/openapi/openapi.yaml
dir="${STEADY_DIR:-$root/.servers/steady}"
version="${STEADY_VERSION:-0.22.1}"
[[ -f "$spec" ]] || { echo "steady-up: no spec at $spec" >&2; exit 2; }
mkdir -p "$dir"
bin="$dir/node_modules/@stdy/cli-linux-x64/bin/steady"
if [[ "$("$bin" --version 2>/dev/null || true)" != "steady $version" ]]; then
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "@stdy/cli@$version" >&2
fi
log="$dir/steady-$port.log"
# Bracket formats for arrays/objects in query and form data, as the SDKs' own mock scripts.
nohup "$bin" --host 127.0.0.1 -p "$port" \
  --validator-query-array-format=brackets --validator-form-array-format=brackets \
  --validator-query-object-format=brackets --validator-form-object-format=brackets \
  "$spec" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  if curl -sf -m 2 "http://127.0.0.1:$port/_x-steady/health" >/dev/null 2>&1; then
    echo "steady-up: ready on http://127.0.0.1:$port (log $log)" >&2
    echo "$pid"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || { echo "steady-up: exited:" >&2; tail -n 30 "$log" >&2; exit 1; }
  sleep 0.1
done
echo "steady-up: not ready after 60 s" >&2; kill "$pid" 2>/dev/null || true; exit 1
