#!/bin/sh
# run.sh CUSTOMERS: the console's benchmark (make bench-ui). Builds
# fanfare, generates the demo data for CUSTOMERS customers in an embedded
# store (kept in $FANFARE_BENCH_DIR, default /tmp/fanfare-bench-ui-N, and
# reused when it is there), serves it, and runs bench/livecount.mjs
# against it. Needs Chromium (web/scripts/chromium.sh) and web/node_modules.
set -eu
customers=${1:-1000000}
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/.." && pwd)
dir=${FANFARE_BENCH_DIR:-/tmp/fanfare-bench-ui-$customers}
chromium=$(sh "$here/scripts/chromium.sh")
mkdir -p "$dir"
(cd "$root" && go build -o "$dir/fanfare" ./cmd/fanfare)
if [ ! -f "$dir/data/.demo-done" ]; then
  rm -rf "$dir/data"
  "$dir/fanfare" demo --customers "$customers" --data-dir "$dir/data" >"$dir/demo.log" 2>&1
  touch "$dir/data/.demo-done"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$dir/fanfare" serve --addr "127.0.0.1:$port" --data-dir "$dir/data" >"$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { tail -20 "$dir/serve.log"; exit 1; }
  sleep 0.1
done
token=$(cat "$dir/data/api-token")
cd "$here" && FANFARE_E2E_CHROMIUM=$chromium node bench/livecount.mjs "http://127.0.0.1:$port" "$token" "${EDITS:-50}"
