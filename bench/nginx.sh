# Sourced by the bench scripts: a plain nginx reverse proxy with upstream keep-alive, the yardstick.
#   start_nginx PORT BACKEND_PORT WORKER_PROCESSES   (installs nginx with apt-get where missing;
#   appends its pid to the caller's PIDS array)
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
  for _ in $(seq 1 40); do curl -s -o /dev/null "http://127.0.0.1:$1/" && break; sleep 0.25; done
}
