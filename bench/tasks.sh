#!/usr/bin/env bash
# Pull-worker task queue benchmark: tasks/s through enqueue -> pull -> result with several pull
# workers, and enqueue -> pickup latency under long polling. Not a test; prints numbers.
#
#   bench/tasks.sh                              # memory store, enqueue through the router's seam
#   bench/tasks.sh --enqueue http               # enqueue through POST /api/inference/tasks too
#   bench/tasks.sh --db /tmp/bench/rma.db       # with the SQLite file (DATABASE_PATH; use a new path)
#   options: --workers 4 --batch 16 --producers 4 --inflight 256 --tasks 60000 --paced 3000 --gap-ms 2
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${JAVA_HOME:-}" ]]; then
  for j in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*21* /usr/lib/jvm/*; do
    if [[ -x "$j/bin/java" ]] && "$j/bin/java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then
      export JAVA_HOME="$j"; break
    fi
  done
fi
if [[ ! -f target/rma-coordinator.jar || -n "$(find src/main -newer target/rma-coordinator.jar -print -quit)" ]]; then
  ./mvnw -q -DskipTests package
fi
exec "$JAVA_HOME/bin/java" -Xmx512m -Djava.util.logging.config.file=/dev/null \
  -cp "target/rma-coordinator.jar:target/libs/*" bench/TaskBench.java "$@"
