#!/bin/sh
# Starts the coordinator as uid 10001, whoever starts the container.
#
# The image's USER is 10001, so this normally just execs java. Some hosts mount volumes owned by
# root and offer only running the container as root to write to them (Railway: RAILWAY_RUN_UID=0).
# Started as root, the script hands the database directory to 10001 and drops root before java
# starts, so the server itself never runs as root.
set -eu
APP_UID=10001
APP_GID=10001

if [ "$(id -u)" = 0 ]; then
  if [ -n "${DATABASE_PATH:-}" ]; then
    dir="$(dirname "$DATABASE_PATH")"
    mkdir -p "$dir"
    chown "$APP_UID:$APP_GID" "$dir"
    for f in "$DATABASE_PATH" "$DATABASE_PATH-wal" "$DATABASE_PATH-shm"; do
      if [ -e "$f" ]; then chown "$APP_UID:$APP_GID" "$f"; fi
    done
  fi
  exec setpriv --reuid="$APP_UID" --regid="$APP_GID" --clear-groups --inh-caps=-all \
    java -jar /app/rma-coordinator.jar "$@"
fi
exec java -jar /app/rma-coordinator.jar "$@"
