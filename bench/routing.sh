#!/usr/bin/env bash
# Routing benchmark (not a test): the same POST /v1/completions load sent straight to a stub
# backend and through the coordinator, with wrk at 32 and at 4 connections, in one run.
# Prints requests/s, p50/p99 latency and the proxy's CPU time per request for each. Usage:
#   bench/routing.sh                   # coordinator vs direct
#   WITH_NGINX=1 bench/routing.sh      # also a plain nginx reverse proxy as a yardstick (apt nginx)
#   PREVIOUS=DIR bench/routing.sh      # also another build (DIR holds rma-coordinator.jar and libs/)
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
PREVIOUS_PORT=${PREVIOUS_PORT:-18082}
NGINX_PORT=${NGINX_PORT:-18083}
LOGS=target/bench
. bench/lib.sh

"$JAVA" -cp "target/libs/*" bench/StubBackend.java "$BACKEND_PORT" >"$LOGS/backend.log" 2>&1 &
BACKEND_PID=$!; PIDS+=($BACKEND_PID)
PORT=$COORD_PORT RMA_WORKER_AUTH=none RMA_HEARTBEAT_INTERVAL=1h \
  "$JAVA" ${JAVA_OPTS--XX:+UseSerialGC} -jar target/rma-coordinator.jar >"$LOGS/coordinator.log" 2>&1 &
COORD_PID=$!; PIDS+=($COORD_PID)
if [ -n "${PREVIOUS:-}" ]; then
  PORT=$PREVIOUS_PORT RMA_WORKER_AUTH=none RMA_HEARTBEAT_INTERVAL=1h \
    "$JAVA" ${JAVA_OPTS--XX:+UseSerialGC} -jar "$PREVIOUS/rma-coordinator.jar" >"$LOGS/previous.log" 2>&1 &
  PREVIOUS_PID=$!; PIDS+=($PREVIOUS_PID)
fi
wait_port "$BACKEND_PORT"
wait_port "$COORD_PORT"

for port in $COORD_PORT ${PREVIOUS:+$PREVIOUS_PORT}; do
  wait_port "$port"
  curl -sf -X POST "http://127.0.0.1:$port/api/worker/register" -H 'Content-Type: application/json' \
    -d '{"capabilities":{"cpu_cores":8,"ram":"32GB","gpu_type":"bench","gpu_memory":"24GB"},
         "ip_address":"127.0.0.1","port":'"$BACKEND_PORT"',"services":["vllm"],"models":["bench"]}' >/dev/null
  curl -sf -X POST "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
    -d '{"model":"bench","prompt":"hi"}' >/dev/null || { echo "the coordinator on $port does not route to the backend" >&2; exit 1; }
done

DIRECT="http://127.0.0.1:$BACKEND_PORT/v1/completions"
THROUGH="http://127.0.0.1:$COORD_PORT/v1/completions"
LLM="http://127.0.0.1:$COORD_PORT/api/inference/llm"
NGINX_URL="http://127.0.0.1:$NGINX_PORT/v1/completions"
PREVIOUS_URL="http://127.0.0.1:$PREVIOUS_PORT/v1/completions"
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v+0 } else { sub(/s$/,"",v); print v*1000 } }'; }

# run NAME URL CONNECTIONS PID: prints "name conns req/s p50 p99 cpu-us-per-request" (the CPU of
# process PID, the proxy; - for direct) and keeps the wrk output
run() {
  local out="$LOGS/wrk-$1-c$3.txt" threads=$THREADS t0=0 t1=0
  [ "$3" -lt "$threads" ] && threads=$3
  [ -n "${4:-}" ] && t0=$(ticks "$4")
  wrk -t"$threads" -c"$3" -d"$DURATION" --latency -s bench/post.lua "$2" >"$out"
  [ -n "${4:-}" ] && t1=$(ticks "$4")
  local rps p50 p99 errors requests cpu=-
  rps=$(awk '/Requests\/sec/ {print $2}' "$out")
  requests=$(awk '/requests in/ {print $1}' "$out")
  p50=$(awk '$1=="50%" {print $2}' "$out" | to_ms)
  p99=$(awk '$1=="99%" {print $2}' "$out" | to_ms)
  [ -n "${4:-}" ] && cpu=$(awk -v t=$((t1 - t0)) -v n="$requests" -v hz="$hz" 'BEGIN { printf "%.1f", 1e6*t/hz/n }')
  errors=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' "$out")
  printf "%-28s %5s %12s %10s %10s %10s  %s\n" "$1" "$3" "$rps" "$p50" "$p99" "$cpu" "$errors"
  echo "$1 $3 $rps $p50 $p99 $cpu" >>"$LOGS/results.txt"
}

# median NAME CONNS FIELD(3=req/s 4=p50 5=p99) over the rounds
median() {
  awk -v n="$1" -v c="$2" -v f="$3" '$1==n && $2==c {print $f}' "$LOGS/results.txt" | sort -g |
    awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}

if [ "${WITH_NGINX:-0}" = 1 ]; then
  start_nginx "$NGINX_PORT" "$BACKEND_PORT" 1
  NGINX_WORKER=$(pgrep -P "${PIDS[-1]}" | head -1)
fi

echo "warming up (${WARMUP} each)..."
wrk -t"$THREADS" -c32 -d"$WARMUP" -s bench/post.lua "$DIRECT" >/dev/null
wrk -t"$THREADS" -c32 -d"$WARMUP" -s bench/post.lua "$THROUGH" >/dev/null
wrk -t"$THREADS" -c32 -d"$WARMUP" -s bench/post.lua "$LLM" >/dev/null
[ "${WITH_NGINX:-0}" = 1 ] && wrk -t"$THREADS" -c32 -d"$WARMUP" -s bench/post.lua "$NGINX_URL" >/dev/null
[ -n "${PREVIOUS:-}" ] && wrk -t"$THREADS" -c32 -d"$WARMUP" -s bench/post.lua "$PREVIOUS_URL" >/dev/null

echo
echo "coordinator JVM flags: ${JAVA_OPTS--XX:+UseSerialGC}; nginx: one worker process"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before, $(date -u +%FT%TZ), wrk ${DURATION} per row, $("$JAVA" -version 2>&1 | head -1)"
printf "%-28s %5s %12s %10s %10s %10s\n" "target" "conns" "req/s" "p50 ms" "p99 ms" "CPU us/req"
: >"$LOGS/results.txt"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round of $ROUNDS"
  for c in 32 4; do
    run direct "$DIRECT" $c
    run through "$THROUGH" $c "$COORD_PID"
    [ $c = 32 ] && run through-llm-route "$LLM" $c "$COORD_PID"
    [ "${WITH_NGINX:-0}" = 1 ] && run nginx "$NGINX_URL" $c "$NGINX_WORKER"
    [ -n "${PREVIOUS:-}" ] && run previous "$PREVIOUS_URL" $c "$PREVIOUS_PID"
  done
done
echo
echo "median of $ROUNDS rounds:"
printf "%-28s %5s %12s %10s %10s %10s\n" "target" "conns" "req/s" "p50 ms" "p99 ms" "CPU us/req"
for row in "direct 32" "through 32" "through-llm-route 32" "nginx 32" "previous 32" "direct 4" "through 4" "nginx 4" "previous 4"; do
  set -- $row
  [ "$1" = nginx ] && [ "${WITH_NGINX:-0}" != 1 ] && continue
  [ "$1" = previous ] && [ -z "${PREVIOUS:-}" ] && continue
  printf "%-28s %5s %12s %10s %10s %10s\n" "$1" "$2" "$(median "$1" "$2" 3)" "$(median "$1" "$2" 4)" "$(median "$1" "$2" 5)" "$(median "$1" "$2" 6)"
done
echo
awk -v t="$(median through 32 3)" -v d="$(median direct 32 3)" 'BEGIN { printf "32 connections: through / direct = %.1f%% (target >= 50%%)\n", 100*t/d }'
awk -v t="$(median through 4 5)" -v d="$(median direct 4 5)" 'BEGIN { printf "4 connections: p99 through - direct = %+.2f ms (target <= +2 ms)\n", t-d }'
if [ "${WITH_NGINX:-0}" = 1 ]; then
  awk -v t="$(median nginx 32 3)" -v d="$(median direct 32 3)" 'BEGIN { printf "yardstick: nginx / direct at 32 connections = %.1f%%\n", 100*t/d }'
  awk -v t="$(median nginx 4 5)" -v d="$(median direct 4 5)" 'BEGIN { printf "yardstick: nginx p99 - direct at 4 connections = %+.2f ms\n", t-d }'
  awk -v t="$(median through 32 6)" -v n="$(median nginx 32 6)" 'BEGIN { printf "CPU per request at 32 connections: coordinator / nginx = %.2f (target <= 2)\n", t/n }'
fi
echo "load average during the run (other processes share these cores): $(cut -d' ' -f1-3 /proc/loadavg)"
