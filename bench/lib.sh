# Sourced by the bench scripts, from the repository root: a JDK >= 21 (JAVA), the jar, wrk, the
# processes a script starts (PIDS, stopped on exit), wait_port PORT, and start_nginx for the nginx
# yardstick.
java_major() { "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1; }
if [ -z "${JAVA_HOME:-}" ] || [ "$(java_major "$JAVA_HOME/bin/java")" -lt 21 ]; then
  for dir in /usr/lib/jvm/*; do
    if [ -x "$dir/bin/javac" ] && [ "$(java_major "$dir/bin/java")" -ge 21 ]; then export JAVA_HOME="$dir"; fi
  done
fi
JAVA="$JAVA_HOME/bin/java"
mkdir -p target/bench
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y wrk; }; }
[ -f target/rma-coordinator.jar ] || ./mvnw -q -DskipTests package

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# wait_port PORT: until something answers HTTP on it (a minute at most)
wait_port() {
  for _ in $(seq 1 120); do
    curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
    sleep 0.5
  done
  echo "nothing listening on port $1 (see target/bench)" >&2
  exit 1
}

# start_nginx PORT BACKEND_PORT WORKER_PROCESSES: a plain nginx reverse proxy with upstream
# keep-alive, the yardstick (installs nginx with apt-get where missing; its pid goes to PIDS)
start_nginx() {
  command -v /usr/sbin/nginx >/dev/null || apt-get install -y nginx-light >/dev/null 2>&1 || apt-get install -y nginx >/dev/null
  local dir
  dir=$(mktemp -d)
  cat >"$dir/nginx.conf" <<CONF
worker_processes $3;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir;
  upstream backend { server 127.0.0.1:$2; keepalive 64; }
  server {
    listen 127.0.0.1:$1;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
  /usr/sbin/nginx -c "$dir/nginx.conf" -g 'daemon off;' &
  PIDS+=($!)
  wait_port "$1"
}
