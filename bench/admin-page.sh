#!/usr/bin/env bash
# The dashboard's admin calls on a large pool: registers N workers (default 10,000) over HTTP, then
# times GET /api/admin/workers?limit=50 (first page, next page, sorted, filtered), /stats, /events
# and the unpaged answer. Not a test; prints numbers.
#
#   bench/admin-page.sh                         # 10,000 workers, 500 calls per query
#   bench/admin-page.sh --workers 20000 --rounds 1000 --warmup 300
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
  -cp "target/rma-coordinator.jar:target/libs/*" bench/AdminPageBench.java "$@"
