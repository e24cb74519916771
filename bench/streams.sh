#!/usr/bin/env bash
# Streaming benchmark (not a test): clients that stream completions from a stub that answers like
# vLLM (bench/StreamStub.java: 200 ms to the first token, then 50 SSE chunks 20 ms apart), straight
# to the stub, through the coordinator and through nginx (proxy_buffering off), at 200, 1,000 and
# 3,000 concurrent streams, in one run. For each: streams completed, errors, time to the first
# token p50/p99 and what the proxy added over direct, the proxy's CPU seconds per 1,000 streams and
# its peak RSS. The coordinator runs under the container image's JVM flags with a 128 MiB heap.
# Usage: bench/streams.sh            # STREAMS="200 1000 3000" SECONDS_EACH=20
set -euo pipefail
cd "$(dirname "$0")/.."
STREAMS=${STREAMS:-200 1000 3000}
SECONDS_EACH=${SECONDS_EACH:-20}
STUB_PORT=${STUB_PORT:-18181}
COORD_PORT=${COORD_PORT:-18180}
NGINX_PORT=${NGINX_PORT:-18183}
COORD_OPTS=${COORD_OPTS:--XX:+UseSerialGC -Xmx128m -Xss256k -XX:+ExitOnOutOfMemoryError}
LOGS=target/bench
. bench/lib.sh
ulimit -n 65536 2>/dev/null || true

"$JAVA" bench/StreamStub.java "$STUB_PORT" >"$LOGS/stream-stub.log" 2>&1 &
SP=$!; PIDS+=($SP)
PORT=$COORD_PORT RMA_WORKER_AUTH=none RMA_HEARTBEAT_INTERVAL=1h \
  "$JAVA" $COORD_OPTS -jar target/rma-coordinator.jar >"$LOGS/stream-coordinator.log" 2>&1 &
CP=$!; PIDS+=($CP)
for _ in $(seq 1 120); do (exec 3<>/dev/tcp/127.0.0.1/$STUB_PORT) 2>/dev/null && break; sleep 0.5; done
wait_port "$COORD_PORT"
curl -sf -X POST "http://127.0.0.1:$COORD_PORT/api/worker/register" -H 'Content-Type: application/json' \
  -d '{"capabilities":{"cpu_cores":8,"ram":"32GB","gpu_type":"bench","gpu_memory":"24GB"},
       "ip_address":"127.0.0.1","port":'"$STUB_PORT"',"services":["vllm"],"models":["bench"]}' >/dev/null

# nginx as a streaming proxy: no buffering of the answer, upstream keep-alive
command -v /usr/sbin/nginx >/dev/null || apt-get install -y nginx-light >/dev/null 2>&1 || apt-get install -y nginx >/dev/null
NDIR=$(mktemp -d)
cat >"$NDIR/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile 65536;
pid $NDIR/nginx.pid;
error_log $NDIR/error.log;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $NDIR;
  upstream backend { server 127.0.0.1:$STUB_PORT; keepalive 1024; }
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=4096;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";
                 proxy_buffering off; proxy_read_timeout 120s; }
  }
}
CONF
/usr/sbin/nginx -c "$NDIR/nginx.conf" -g 'daemon off;' &
NP=$!; PIDS+=($NP)
for _ in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/$NGINX_PORT) 2>/dev/null && break; sleep 0.5; done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# nginx's CPU is its worker's (the master does nothing per request)
nginx_worker() { pgrep -P "$NP" | head -1; }
hz=$(getconf CLK_TCK)
load() { "$JAVA" -Xss256k bench/StreamLoad.java "127.0.0.1:$1" "$2" "$3"; }

echo "warm-up"; load "$COORD_PORT" 100 10 >/dev/null; load "$NGINX_PORT" 100 5 >/dev/null
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-12s %6s %8s %6s %9s %9s %11s %11s %12s %9s\n" target streams done errors ttfb_p50 ttfb_p99 added_p50 added_p99 cpu_s/1000 rss_MB
for n in $STREAMS; do
  direct=$(load "$STUB_PORT" "$n" "$SECONDS_EACH")
  d50=$(echo "$direct" | awk '{print $7}'); d99=$(echo "$direct" | awk '{print $9}')
  printf "%-12s %6s %8s %6s %9s %9s %11s %11s %12s %9s\n" direct "$n" \
    "$(echo "$direct" | awk '{print $2}')" "$(echo "$direct" | awk '{print $4}')" "$d50" "$d99" - - - -
  for target in coordinator nginx; do
    if [ $target = coordinator ]; then port=$COORD_PORT; pid=$CP; else port=$NGINX_PORT; pid=$(nginx_worker); fi
    t0=$(ticks "$pid")
    out=$(load "$port" "$n" "$SECONDS_EACH")
    t1=$(ticks "$pid")
    streams=$(echo "$out" | awk '{print $2}')
    rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
    p50=$(echo "$out" | awk '{print $7}'); p99=$(echo "$out" | awk '{print $9}')
    printf "%-12s %6s %8s %6s %9s %9s %11.1f %11.1f %12.2f %9s%s\n" "$target" "$n" "$streams" \
      "$(echo "$out" | awk '{print $4}')" "$p50" "$p99" \
      "$(echo "$p50 - $d50" | bc -l)" "$(echo "$p99 - $d99" | bc -l)" \
      "$(echo "($t1 - $t0) / $hz / ($streams / 1000)" | bc -l)" "$rss" \
      "$(echo "$out" | grep -o ' first_errors.*' || true)"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
kill -0 "$CP" 2>/dev/null || echo "the coordinator died: see $LOGS/stream-coordinator.log"
