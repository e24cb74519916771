#!/usr/bin/env bash
# CPU time per request of the coordinator and of the stub backend under wrk (32 connections),
# read from /proc: a figure that other processes on the machine disturb much less than req/s.
# Optional JFR recording: JFR=target/bench/routing.jfr bench/cpu-per-request.sh
# (then: jfr print --events jdk.ExecutionSample target/bench/routing.jfr).
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND_PORT=${BACKEND_PORT:-18091}
COORD_PORT=${COORD_PORT:-18090}

. bench/lib.sh
"$JAVA" -cp "target/libs/*" bench/StubBackend.java "$BACKEND_PORT" >target/bench/cpu-backend.log 2>&1 &
BP=$!; PIDS+=($BP)
JFR_OPT=()
[ -n "${JFR:-}" ] && JFR_OPT=("-XX:StartFlightRecording=filename=$JFR,settings=profile,delay=15s,duration=15s")
PORT=$COORD_PORT RMA_WORKER_AUTH=none RMA_HEARTBEAT_INTERVAL=1h \
  "$JAVA" ${JAVA_OPTS--XX:+UseSerialGC} "${JFR_OPT[@]}" -jar target/rma-coordinator.jar >target/bench/cpu-coordinator.log 2>&1 &
CP=$!; PIDS+=($CP)
wait_port "$BACKEND_PORT"
wait_port "$COORD_PORT"
curl -sf -X POST "http://127.0.0.1:$COORD_PORT/api/worker/register" -H 'Content-Type: application/json' \
  -d '{"capabilities":{"cpu_cores":8,"ram":"32GB"},"ip_address":"127.0.0.1","port":'"$BACKEND_PORT"',"services":["vllm"]}' >/dev/null
URL="http://127.0.0.1:$COORD_PORT/v1/completions"
wrk -t2 -c32 -d12s -s bench/post.lua "$URL" >/dev/null # warm-up
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
c0=$(ticks $CP); b0=$(ticks $BP)
out=$(wrk -t2 -c32 -d15s -s bench/post.lua "$URL")
c1=$(ticks $CP); b1=$(ticks $BP)
requests=$(echo "$out" | awk '/requests in/ {print $1}')
hz=$(getconf CLK_TCK)
echo "$out" | grep -E 'Requests/sec'
awk -v c=$((c1 - c0)) -v b=$((b1 - b0)) -v n="$requests" -v hz="$hz" 'BEGIN {
  printf "CPU per request: coordinator %.1f us, backend %.1f us (%d requests)\n", 1e6*c/hz/n, 1e6*b/hz/n, n }'
