#!/usr/bin/env bash
# A/B of two coordinator builds (or one build with two settings): CPU time per proxied request and
# req/s, rows alternating so that load from other processes hits both alike. Not a test.
#   bench/ab-cpu.sh DIR_A DIR_B [ROUNDS]
# Each DIR holds a build as `cp -r target/rma-coordinator.jar target/libs DIR` leaves it.
# AENV / BENV: settings for one side, e.g. BENV=RMA_UPSTREAM_TIMEOUT=30s bench/ab-cpu.sh D D
# CPU per request comes from /proc (utime + stime of the coordinator) over 6 s of wrk at 32
# connections to POST /v1/completions, with bench/StubBackend.java as the worker.
set -euo pipefail
cd "$(dirname "$0")/.."
A=$(cd "$1" && pwd); B=$(cd "$2" && pwd); ROUNDS=${3:-4}
BACKEND_PORT=${BACKEND_PORT:-18381}; PORT_A=18382; PORT_B=18383
. bench/lib.sh
"$JAVA" -cp "target/libs/*" bench/StubBackend.java "$BACKEND_PORT" >target/bench/ab-backend.log 2>&1 &
PIDS+=($!)
env PORT=$PORT_A ${AENV:-} RMA_WORKER_AUTH=none RMA_HEARTBEAT_INTERVAL=1h \
  "$JAVA" -XX:+UseSerialGC -jar "$A/rma-coordinator.jar" >target/bench/ab-a.log 2>&1 &
PA=$!; PIDS+=($PA)
env PORT=$PORT_B ${BENV:-} RMA_WORKER_AUTH=none RMA_HEARTBEAT_INTERVAL=1h \
  "$JAVA" -XX:+UseSerialGC -jar "$B/rma-coordinator.jar" >target/bench/ab-b.log 2>&1 &
PB=$!; PIDS+=($PB)
for port in $BACKEND_PORT $PORT_A $PORT_B; do
  wait_port "$port"
done
for port in $PORT_A $PORT_B; do
  curl -sf -X POST "http://127.0.0.1:$port/api/worker/register" -H 'Content-Type: application/json' \
    -d '{"capabilities":{"cpu_cores":8,"ram":"32GB"},"ip_address":"127.0.0.1","port":'"$BACKEND_PORT"',"services":["vllm"]}' >/dev/null
  wrk -t2 -c32 -d10s -s bench/post.lua "http://127.0.0.1:$port/v1/completions" >/dev/null # warm-up
done
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
echo "A: $A ${AENV:-}"; echo "B: $B ${BENV:-}"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before, $(date -u +%FT%TZ)"
for round in $(seq 1 "$ROUNDS"); do
  for side in A:$PORT_A:$PA B:$PORT_B:$PB; do
    IFS=: read -r name port pid <<<"$side"
    read -r u0 s0 < <(ticks "$pid")
    out=$(wrk -t2 -c32 -d6s -s bench/post.lua "http://127.0.0.1:$port/v1/completions")
    read -r u1 s1 < <(ticks "$pid")
    n=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v n="$n" -v hz="$hz" -v name="$name" -v rps="$rps" -v r="$round" 'BEGIN {
      printf "round %d %s %9s req/s   CPU per request: user %5.1f us  system %5.1f us  total %5.1f us\n",
        r, name, rps, 1e6*u/hz/n, 1e6*s/hz/n, 1e6*(u+s)/hz/n }'
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
