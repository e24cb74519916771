#!/usr/bin/env bash
# Yardsticks for the routing benchmark (not a test): CPU per proxied request and req/s of the
# coordinator beside proxies that do no routing at all, in one run, rows alternating.
#   bench/yardsticks.sh [ROUNDS]
# Rows: nginx (one worker process), bench/NioProxy.java (one thread, one selector),
# bench/HybridProxy.java (sockets on one selector, blocking-style work on a virtual thread per
# connection, woken by the selector),
# bench/BareProxy.java on virtual threads and on platform threads, the coordinator (default
# settings: event loops on the port) and the coordinator with RMA_EVENT_LOOPS=0 (the fast path on
# Helidon's virtual threads).
# Each gets wrk -t2 -c32 for 5 s against POST /v1/completions with bench/StubBackend.java behind
# it; CPU is utime + stime of the proxy's process from /proc, context switches from its threads
# (not shown for platform threads: a connection's thread ends with it and takes its count along).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
BACKEND=18481; NGINX=18482; NIO=18483; VT=18484; PT=18485; COORD=18486; HY=18487; COORD_VT=18488
. bench/lib.sh
"$JAVA" -cp "target/libs/*" bench/StubBackend.java $BACKEND >target/bench/yard-backend.log 2>&1 &
PIDS+=($!)
start_nginx $NGINX $BACKEND 1
"$JAVA" -XX:+UseSerialGC bench/NioProxy.java $NIO $BACKEND >target/bench/yard-nio.log 2>&1 &
PIDS+=($!)
"$JAVA" -XX:+UseSerialGC bench/HybridProxy.java $HY $BACKEND >target/bench/yard-hybrid.log 2>&1 &
PIDS+=($!)
"$JAVA" -XX:+UseSerialGC bench/BareProxy.java $VT $BACKEND vt >target/bench/yard-vt.log 2>&1 &
PIDS+=($!)
"$JAVA" -XX:+UseSerialGC bench/BareProxy.java $PT $BACKEND platform >target/bench/yard-pt.log 2>&1 &
PIDS+=($!)
PORT=$COORD RMA_WORKER_AUTH=none RMA_HEARTBEAT_INTERVAL=1h \
  "$JAVA" -XX:+UseSerialGC -jar target/rma-coordinator.jar >target/bench/yard-coordinator.log 2>&1 &
PIDS+=($!)
PORT=$COORD_VT RMA_EVENT_LOOPS=0 RMA_WORKER_AUTH=none RMA_HEARTBEAT_INTERVAL=1h \
  "$JAVA" -XX:+UseSerialGC -jar target/rma-coordinator.jar >target/bench/yard-coordinator-vt.log 2>&1 &
PIDS+=($!)
for port in $BACKEND $NGINX $NIO $VT $PT $COORD $HY $COORD_VT; do
  wait_port "$port"
done
for port in $COORD $COORD_VT; do
  curl -sf -X POST "http://127.0.0.1:$port/api/worker/register" -H 'Content-Type: application/json' \
    -d '{"capabilities":{"cpu_cores":8,"ram":"32GB"},"ip_address":"127.0.0.1","port":'$BACKEND',"services":["vllm"]}' >/dev/null
done

# The process that serves a port (nginx: its worker, not the master).
pid_of() { ss -ltnpH "sport = :$1" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -n | tail -1; }
ctxsw() { { cat /proc/"$1"/task/*/status 2>/dev/null || true; } | awk '/ctxt_switches/ {s += $2} END {print s}'; }
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
ROWS="nginx:$NGINX nio-1-thread:$NIO selector+virtual-threads:$HY bare-virtual-threads:$VT bare-platform-threads:$PT coordinator:$COORD coordinator-loops-off:$COORD_VT"
for row in $ROWS $ROWS; do # warm-up (JIT), twice round
  wrk -t2 -c32 -d6s -s bench/post.lua "http://127.0.0.1:${row#*:}/v1/completions" >/dev/null
done
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before, $(date -u +%FT%TZ), $("$JAVA" -version 2>&1 | head -1)"
for round in $(seq 1 "$ROUNDS"); do
  for row in $ROWS; do
    name=${row%:*}; port=${row#*:}; pid=$(pid_of "$port")
    read -r u0 s0 < <(ticks "$pid"); c0=$(ctxsw "$pid")
    out=$(wrk -t2 -c32 -d5s -s bench/post.lua "http://127.0.0.1:$port/v1/completions")
    read -r u1 s1 < <(ticks "$pid"); c1=$(ctxsw "$pid")
    n=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v c=$((c1 - c0)) -v n="$n" -v hz="$hz" -v name="$name" -v rps="$rps" -v r="$round" 'BEGIN {
      cs = name ~ /platform/ ? "   -" : sprintf("%.2f", c/n)
      printf "round %d %-22s %9s req/s  CPU/request: user %4.1f us  system %4.1f us  total %4.1f us  context switches %s\n",
        r, name, rps, 1e6*u/hz/n, 1e6*s/hz/n, 1e6*(u+s)/hz/n, cs }'
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
