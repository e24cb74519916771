#!/usr/bin/env bash
# CPU per routed request with N other (idle, rag) workers registered beside one vllm backend:
# shows whether routing's cost grows with the pool. Not a test.
#   bench/pool-size.sh [N] [DIR]     # N other workers (200); DIR holds a build as
#                                    # `cp -r target/rma-coordinator.jar target/libs DIR` leaves it
#                                    # (default: this checkout's target/)
#   SAME=1 bench/pool-size.sh N      # the N others are vllm workers too, all at the backend's
#                                    # address: every request chooses among 1 + N candidates
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
DIR=$(cd "${2:-target}" && pwd)
BACKEND_PORT=${BACKEND_PORT:-18481}; PORT=${PORT:-18482}
. bench/lib.sh
"$JAVA" -cp "target/libs/*" bench/StubBackend.java "$BACKEND_PORT" >target/bench/pool-backend.log 2>&1 &
PIDS+=($!)
env PORT="$PORT" RMA_WORKER_AUTH=none RMA_HEARTBEAT_INTERVAL=1h RMA_REGISTRATIONS_PER_MINUTE=1000000 \
  "$JAVA" -XX:+UseSerialGC -jar "$DIR/rma-coordinator.jar" >target/bench/pool-coordinator.log 2>&1 &
CP=$!; PIDS+=($CP)
for port in "$BACKEND_PORT" "$PORT"; do
  wait_port "$port"
done
register() {
  curl -sf -X POST "http://127.0.0.1:$PORT/api/worker/register" -H 'Content-Type: application/json' -d "$1" >/dev/null
}
register '{"capabilities":{"cpu_cores":8,"ram":"32GB"},"ip_address":"127.0.0.1","port":'"$BACKEND_PORT"',"services":["vllm"]}'
for i in $(seq 1 "$N"); do
  if [ "${SAME:-0}" = 1 ]; then
    register '{"capabilities":{"cpu_cores":8,"ram":"32GB"},"ip_address":"127.0.0.1","port":'"$BACKEND_PORT"',"services":["vllm"],"worker_id":"same-'"$i"'"}'
  else
    register '{"capabilities":{"cpu_cores":4,"ram":"8GB"},"ip_address":"10.1.'"$((i / 250))"'.'"$((i % 250 + 1))"'","port":8000,"services":["rag"]}'
  fi
done
echo "$(curl -s "http://127.0.0.1:$PORT/api/admin/stats" | head -c 60)... ; build $DIR"
URL="http://127.0.0.1:$PORT/v1/completions"
wrk -t2 -c32 -d10s -s bench/post.lua "$URL" >/dev/null # warm-up
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
for round in 1 2 3; do
  read -r u0 s0 < <(ticks "$CP")
  out=$(wrk -t2 -c32 -d6s -s bench/post.lua "$URL")
  read -r u1 s1 < <(ticks "$CP")
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v n="$n" -v hz="$hz" -v N="$N" -v rps="$rps" 'BEGIN {
    printf "1 + %d workers: %9s req/s   CPU per request: user %5.1f us  system %5.1f us  total %5.1f us\n",
      N, rps, 1e6*u/hz/n, 1e6*s/hz/n, 1e6*(u+s)/hz/n }'
done
