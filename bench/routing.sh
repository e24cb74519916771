#!/usr/bin/env bash
# Routing benchmark (not a test): the same POST /v1/completions load sent straight to a stub
# backend and through the coordinator, with wrk at 32 and at 4 connections, in one run.
# Prints requests/s and p50/p99 latency for each. Usage:
#   bench/routing.sh             # coordinator vs direct
#   CLIENTS=1 bench/routing.sh   # also compare HTTP clients for worker calls in a bare proxy
#   WITH_NGINX=1 bench/routing.sh     # also a plain nginx reverse proxy as a yardstick (apt nginx)
# Rows alternate and repeat (ROUNDS, 3) and the medians are compared, so that load from other
# processes on the machine hits direct and through alike.
# Settings: DURATION (8s per row), ROUNDS (3), WARMUP (10s), THREADS (2), BACKEND_PORT (18081), COORD_PORT (18080),
# PROXY_PORT (18082), NGINX_PORT (18083), JAVA_OPTS (coordinator JVM flags, default
# -XX:+UseSerialGC: what the JVM picks by itself in a container under 1792 MB, the deployment
# target; on a large machine it would pick G1, set JAVA_OPTS= to measure that).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-8s}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-10s}
THREADS=${THREADS:-2}
BACKEND_PORT=${BACKEND_PORT:-18081}
COORD_PORT=${COORD_PORT:-18080}
PROXY_PORT=${PROXY_PORT:-18082}
NGINX_PORT=${NGINX_PORT:-18083}
LOGS=target/bench
. bench/lib.sh

"$JAVA" -cp "target/libs/*" bench/StubBackend.java "$BACKEND_PORT" >"$LOGS/backend.log" 2>&1 &
PIDS+=($!)
PORT=$COORD_PORT RMA_WORKER_AUTH=none RMA_HEARTBEAT_INTERVAL=1h \
  "$JAVA" ${JAVA_OPTS--XX:+UseSerialGC} -jar target/rma-coordinator.jar >"$LOGS/coordinator.log" 2>&1 &
PIDS+=($!)
wait_port "$BACKEND_PORT"
wait_port "$COORD_PORT"

curl -sf -X POST "http://127.0.0.1:$COORD_PORT/api/worker/register" -H 'Content-Type: application/json' \
  -d '{"capabilities":{"cpu_cores":8,"ram":"32GB","gpu_type":"bench","gpu_memory":"24GB"},
       "ip_address":"127.0.0.1","port":'"$BACKEND_PORT"',"services":["vllm"],"models":["bench"]}' >/dev/null
curl -sf -X POST "http://127.0.0.1:$COORD_PORT/v1/completions" -H 'Content-Type: application/json' \
  -d '{"model":"bench","prompt":"hi"}' >/dev/null || { echo "the coordinator does not route to the backend" >&2; exit 1; }

DIRECT="http://127.0.0.1:$BACKEND_PORT/v1/completions"
THROUGH="http://127.0.0.1:$COORD_PORT/v1/completions"
LLM="http://127.0.0.1:$COORD_PORT/api/inference/llm"
NGINX_URL="http://127.0.0.1:$NGINX_PORT/v1/completions"

to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v+0 } else { sub(/s$/,"",v); print v*1000 } }'; }

# run NAME URL CONNECTIONS: prints "name conns req/s p50 p99" and keeps the wrk output
run() {
  local out="$LOGS/wrk-$1-c$3.txt" threads=$THREADS
  [ "$3" -lt "$threads" ] && threads=$3
  wrk -t"$threads" -c"$3" -d"$DURATION" --latency -s bench/post.lua "$2" >"$out"
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' "$out")
  p50=$(awk '$1=="50%" {print $2}' "$out" | to_ms)
  p99=$(awk '$1=="99%" {print $2}' "$out" | to_ms)
  errors=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' "$out")
  printf "%-28s %5s %12s %10s %10s  %s\n" "$1" "$3" "$rps" "$p50" "$p99" "$errors"
  echo "$1 $3 $rps $p50 $p99" >>"$LOGS/results.txt"
}

# median NAME CONNS FIELD(3=req/s 4=p50 5=p99) over the rounds
median() {
  awk -v n="$1" -v c="$2" -v f="$3" '$1==n && $2==c {print $f}' "$LOGS/results.txt" | sort -g |
    awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}

if [ "${WITH_NGINX:-0}" = 1 ]; then
  start_nginx "$NGINX_PORT" "$BACKEND_PORT" auto
fi

echo "warming up (${WARMUP} each)..."
wrk -t"$THREADS" -c32 -d"$WARMUP" -s bench/post.lua "$DIRECT" >/dev/null
wrk -t"$THREADS" -c32 -d"$WARMUP" -s bench/post.lua "$THROUGH" >/dev/null
wrk -t"$THREADS" -c32 -d"$WARMUP" -s bench/post.lua "$LLM" >/dev/null
[ "${WITH_NGINX:-0}" = 1 ] && wrk -t"$THREADS" -c32 -d"$WARMUP" -s bench/post.lua "$NGINX_URL" >/dev/null

echo
echo "coordinator JVM flags: ${JAVA_OPTS--XX:+UseSerialGC}; RMA_EVENT_LOOPS=${RMA_EVENT_LOOPS:-auto (default)}"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before, $(date -u +%FT%TZ), wrk ${DURATION} per row, $("$JAVA" -version 2>&1 | head -1)"
printf "%-28s %5s %12s %10s %10s\n" "target" "conns" "req/s" "p50 ms" "p99 ms"
: >"$LOGS/results.txt"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round of $ROUNDS"
  run direct "$DIRECT" 32
  run through "$THROUGH" 32
  run through-llm-route "$LLM" 32
  [ "${WITH_NGINX:-0}" = 1 ] && run nginx "$NGINX_URL" 32
  run direct "$DIRECT" 4
  run through "$THROUGH" 4
  [ "${WITH_NGINX:-0}" = 1 ] && run nginx "$NGINX_URL" 4
done
echo
echo "median of $ROUNDS rounds:"
printf "%-28s %5s %12s %10s %10s\n" "target" "conns" "req/s" "p50 ms" "p99 ms"
for row in "direct 32" "through 32" "through-llm-route 32" "nginx 32" "direct 4" "through 4" "nginx 4"; do
  set -- $row
  [ "$1" = nginx ] && [ "${WITH_NGINX:-0}" != 1 ] && continue
  printf "%-28s %5s %12s %10s %10s\n" "$1" "$2" "$(median "$1" "$2" 3)" "$(median "$1" "$2" 4)" "$(median "$1" "$2" 5)"
done
echo
awk -v t="$(median through 32 3)" -v d="$(median direct 32 3)" 'BEGIN { printf "32 connections: through / direct = %.1f%% (target >= 50%%)\n", 100*t/d }'
awk -v t="$(median through 4 5)" -v d="$(median direct 4 5)" 'BEGIN { printf "4 connections: p99 through - direct = %+.2f ms (target <= +2 ms)\n", t-d }'
if [ "${WITH_NGINX:-0}" = 1 ]; then
  awk -v t="$(median nginx 32 3)" -v d="$(median direct 32 3)" 'BEGIN { printf "yardstick: nginx / direct at 32 connections = %.1f%%\n", 100*t/d }'
  awk -v t="$(median nginx 4 5)" -v d="$(median direct 4 5)" 'BEGIN { printf "yardstick: nginx p99 - direct at 4 connections = %+.2f ms\n", t-d }'
fi
echo "load average during the run (other processes share these cores): $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "${CLIENTS:-0}" = 1 ]; then
  echo
  echo "HTTP client for worker calls, in a bare proxy (same server, only the client differs):"
  # Helidon WebClient is a test-scope dependency (the coordinator does not ship it).
  TEST_CP="$(./mvnw -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/dev/stdout)"
  for client in helidon jdk raw; do
    "$JAVA" -cp "target/classes:$TEST_CP" bench/ClientChoice.java "$PROXY_PORT" "http://127.0.0.1:$BACKEND_PORT" "$client" \
      >"$LOGS/proxy-$client.log" 2>&1 &
    pid=$!
    wait_port "$PROXY_PORT"
    wrk -t"$THREADS" -c32 -d"$WARMUP" -s bench/post.lua "http://127.0.0.1:$PROXY_PORT/v1/completions" >/dev/null
    run "proxy-$client" "http://127.0.0.1:$PROXY_PORT/v1/completions" 32
    run "proxy-$client" "http://127.0.0.1:$PROXY_PORT/v1/completions" 4
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
fi
