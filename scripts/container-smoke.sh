#!/usr/bin/env bash
# Builds the image from ./Dockerfile with podman and runs it the way a container host would: as the
# image's own user, with the image's entrypoint, environment and a simulated 256 MB memory size. Then
# checks that /health answers, that the process is not root and that the database lands on the
# volume path, and prints the image size, the start time and the process's RSS.
#
# No Docker engine is needed (none runs on our CI machines): podman builds the Dockerfile, and buildah
# runs the image (`podman run` needs a cgroup setup these machines lack). Needs root, apt-get for the
# tools when they are missing, and network access to the Debian mirror and Maven Central.
#
#   scripts/container-smoke.sh            # build, run, check, clean up
#   KEEP_IMAGE=1 scripts/container-smoke.sh   # keep the image and its build layers (faster re-runs)
#
# Not part of .ci/run: a cold run takes several minutes (base image, apt-get, Maven downloads).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${IMAGE:-localhost/rma-coordinator:smoke}"
BASE="docker.io/library/debian:trixie-slim"
MEMORY="${MEMORY:-256m}" # the memory size the JVM is told it has (-XX:MaxRAM), as on a 256 MB host
START_TIMEOUT="${START_TIMEOUT:-90}"

log() { printf '[smoke] %s\n' "$*"; }
fail() {
  printf '[smoke] FAIL: %s\n' "$*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || fail "run as root (podman and buildah are used rootful here)"

missing=()
for tool in podman buildah debootstrap curl ss; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing podman buildah debootstrap (missing: ${missing[*]})"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah debootstrap curl iproute2 >/dev/null
fi

work="$(mktemp -d)"
container=""
runner_pid=""
cleanup() {
  set +e
  if [ -n "$runner_pid" ] && kill -0 "$runner_pid" 2>/dev/null; then
    kill "$runner_pid" 2>/dev/null
    wait "$runner_pid" 2>/dev/null
  fi
  if [ -n "$container" ]; then
    buildah rm "$container" >/dev/null 2>&1
  fi
  if [ "${KEEP_IMAGE:-0}" != 1 ]; then
    podman rmi -f "$IMAGE" >/dev/null 2>&1
    # ... and the build's intermediate images (the build stage's layers): every image this run
    # created, and nothing that was there before it.
    if [ -f "$work/images-before" ]; then
      podman images -aq --no-trunc | sort >"$work/images-after"
      comm -13 "$work/images-before" "$work/images-after" | xargs -r podman rmi -f >/dev/null 2>&1
    fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# cgroupfs and no default ulimits: the systemd cgroup manager and ulimit setup fail on these machines.
cat >"$work/containers.conf" <<'CONF'
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
CONF
export CONTAINERS_CONF="$work/containers.conf"

# No image registry is reachable: build debian:trixie-slim from the Debian archive when it is absent.
if ! podman image exists "$BASE"; then
  mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  mirror="${mirror:-$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  log "building $BASE with debootstrap from $mirror"
  debootstrap --variant=minbase trixie "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; fail "debootstrap"; }
  # Slim it the way the official -slim images are (debuerreotype's slimify and docker-clean): no
  # docs, man pages or locales, and no package caches, so image sizes printed below are comparable.
  cat >"$work/rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
  cat >"$work/rootfs/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  find "$work/rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
  find "$work/rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$work/rootfs/usr/share/man/"* "$work/rootfs/usr/share/info/"* \
    "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/cache/apt/"*.bin "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -c . | podman import - "$BASE" >/dev/null
  rm -rf "$work/rootfs"
fi

# A machine behind a TLS-intercepting proxy trusts extra CAs (Debian keeps them in
# /usr/local/share/ca-certificates). Lend them to the build's RUN steps, so that apt's ca-certificates
# and ca-certificates-java put them in the JDK trust store and the Maven wrapper can reach Maven
# Central. The Dockerfile itself stays as a clean CI or a container host builds it.
build_args=()
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  log "lending the host's extra CA certificates to the build (/usr/local/share/ca-certificates)"
  build_args+=(--volume /usr/local/share/ca-certificates:/usr/local/share/ca-certificates:ro)
fi

podman images -aq --no-trunc | sort >"$work/images-before"
log "building $IMAGE from Dockerfile"
build_start=$(date +%s)
podman build --isolation=chroot "${build_args[@]}" -t "$IMAGE" -f Dockerfile . >"$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log"; fail "podman build"; }
log "built in $(($(date +%s) - build_start)) s"

image_bytes="$(podman image inspect --format '{{.Size}}' "$IMAGE")"
user="$(podman image inspect --format '{{.Config.User}}' "$IMAGE")"
uid="${user%%:*}"
[ -n "$uid" ] || fail "the image sets no USER"
[[ "$uid" =~ ^[0-9]+$ ]] || fail "the image's USER is not numeric: $user"
[ "$uid" -ne 0 ] || fail "the image runs as root"

# Everything the container host would use comes from the image: entrypoint, env, workdir.
entrypoint="$(podman image inspect --format '{{join .Config.Entrypoint " "}}' "$IMAGE")"
java_opts="$(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" |
  sed -n 's/^JDK_JAVA_OPTIONS=//p')"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

# start_container USER LOG [buildah run options...]: runs the image's entrypoint in a new container
# and waits for /health. Sets container, runner_pid, port, pid (the JVM, seen from the host),
# first_answer_ms.
start_container() {
  local run_user="$1" run_log="$2"
  shift 2
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  container="$(buildah from --pull-never "$IMAGE")"
  # chroot isolation shares the host's network: the server listens on this machine's loopback.
  buildah run --isolation chroot --user "$run_user" "$@" \
    --env PORT="$port" --env JDK_JAVA_OPTIONS="$java_opts -XX:MaxRAM=$MEMORY" \
    "$container" -- $entrypoint >"$run_log" 2>&1 &
  runner_pid=$!
  local run_start
  run_start=$(date +%s%N)
  until curl -fsS -o "$work/health.json" "http://127.0.0.1:$port/health" 2>/dev/null; do
    if ! kill -0 "$runner_pid" 2>/dev/null; then
      cat "$run_log"
      fail "the container exited before /health answered"
    fi
    if [ $((($(date +%s%N) - run_start) / 1000000000)) -ge "$START_TIMEOUT" ]; then
      cat "$run_log"
      fail "/health did not answer within ${START_TIMEOUT}s"
    fi
    sleep 0.2
  done
  first_answer_ms=$((($(date +%s%N) - run_start) / 1000000))
  # The process listening on the port is the JVM inside the container.
  pid="$(ss -Hltnp "sport = :$port" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)"
  [ -n "$pid" ] || fail "no process found listening on port $port"
}

stop_container() {
  if [ -n "$runner_pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$runner_pid" || true
    runner_pid=""
  fi
  buildah rm "$container" >/dev/null
  container=""
}

log "running '$entrypoint' as $user, JVM told it has $MEMORY"
start_container "$user" "$work/run.log"
health_json="$(cat "$work/health.json")"
first_answer_image_user_ms="$first_answer_ms"
log "/health answered after ${first_answer_ms} ms: $health_json"

# A worker registers and beats, so the process has done real work before its RSS is read.
register="$(curl -fsS -H 'Content-Type: application/json' \
  -d '{"capabilities": {"cpu_cores": 8, "ram": "31.2GB"}, "ip_address": "10.0.0.5", "port": 8000}' \
  "http://127.0.0.1:$port/api/worker/register")" || fail "register failed"
worker_id="$(jq -r .worker_id <<<"$register")"
token="$(jq -r .worker_token <<<"$register")"
for _ in 1 2 3 4 5; do
  curl -fsS -o /dev/null -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
    -d "{\"worker_id\": \"$worker_id\", \"status\": \"healthy\", \"current_load\": 0.2}" \
    "http://127.0.0.1:$port/api/worker/heartbeat" || fail "heartbeat failed"
done
workers="$(curl -fsS "http://127.0.0.1:$port/api/admin/stats" | jq -r .total_workers)"
[ "$workers" = 1 ] || fail "expected 1 worker in /api/admin/stats, got $workers"
log "registered worker $worker_id (tier $(jq -r .tier <<<"$register")), 5 heartbeats accepted"

proc_uid="$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")"
[ "$proc_uid" -ne 0 ] || fail "the server runs as root"
[ "$proc_uid" -eq "$uid" ] || fail "the server runs as uid $proc_uid, the image says $uid"
rss_kib="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")"
log "server process: pid $pid, uid $proc_uid, command: $(tr '\0' ' ' <"/proc/$pid/cmdline")"

# The database, seen from inside the container (the image's VOLUME is a mount of its own there).
db="/proc/$pid/root/data/rma.db"
[ -s "$db" ] || fail "no database at /data/rma.db (DATABASE_PATH) inside the container"
log "database file /data/rma.db: $(stat -c %s "$db") bytes, owner uid $(stat -c %u "$db")"
grep -q "listening on port $port" "$work/run.log" || { cat "$work/run.log"; fail "no start line"; }
kill -TERM "$pid"
wait "$runner_pid" || true
runner_pid=""

# The heap the flags give in a 256 MB container.
max_heap_bytes="$(buildah run --isolation chroot --user "$user" "$container" -- \
  java $java_opts -XX:MaxRAM=$MEMORY -XX:+PrintFlagsFinal -version 2>/dev/null |
  awk '$2 == "MaxHeapSize" {print $4}')"
stop_container

# A host that mounts a root-owned volume and starts the container as root (Railway with
# RAILWAY_RUN_UID=0): the entrypoint hands /data to the image's user and java still runs as it.
# (buildah keeps the image's own /data volume in place, so the root-owned one goes to /srv/rma.)
mkdir -m 755 "$work/root-volume"
start_container 0:0 "$work/run-root.log" \
  --volume "$work/root-volume:/srv/rma" --env DATABASE_PATH=/srv/rma/rma.db
root_start_uid="$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")"
[ "$root_start_uid" -eq "$uid" ] || fail "started as root, the server runs as uid $root_start_uid"
[ "$(stat -c %u "$work/root-volume/rma.db")" -eq "$uid" ] || fail "rma.db on the root-owned volume is not owned by $uid"
log "started as root on a root-owned volume: server uid $root_start_uid, rma.db owned by uid $(stat -c %u "$work/root-volume/rma.db")"
stop_container

echo
echo "image:         $IMAGE, $((image_bytes / 1000000)) MB ($image_bytes bytes)"
echo "user:          image USER $user; server process uid $proc_uid (not root); started as root: uid $root_start_uid"
echo "/health:       $health_json"
echo "first answer:  ${first_answer_image_user_ms} ms after start"
echo "RSS:           $((rss_kib / 1024)) MiB ($rss_kib KiB) after register + 5 heartbeats, JVM told $MEMORY"
echo "max heap:      $((max_heap_bytes / 1048576)) MiB"
echo "JVM flags:     $java_opts -XX:MaxRAM=$MEMORY"
echo "log:"
sed 's/^/  | /' "$work/run.log"
echo
log "PASS"
