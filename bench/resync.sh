#!/usr/bin/env bash
# Kubernetes mode on fabric8's mock API server: the operator's full resync of N RMAWorker objects
# and its reconciles per second (every worker nudged once more). Not a test; prints numbers.
#
#   bench/resync.sh                       # 10,000 workers
#   bench/resync.sh --workers 2000 --max-wait 300
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${JAVA_HOME:-}" ]]; then
  for j in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*21* /usr/lib/jvm/*; do
    if [[ -x "$j/bin/java" ]] && "$j/bin/java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then
      export JAVA_HOME="$j"; break
    fi
  done
fi
JAVA="$JAVA_HOME/bin/java"
mkdir -p target/bench
# Netty inside the mock server warns about sun.misc.Unsafe on JDK 23+.
UNSAFE=()
if "$JAVA" --sun-misc-unsafe-memory-access=allow -version >/dev/null 2>&1; then
  UNSAFE=(--sun-misc-unsafe-memory-access=allow)
fi
# The mock API server is a test dependency: run on the test class path.
if [[ ! -f target/bench/test-classpath.txt || pom.xml -nt target/bench/test-classpath.txt ]]; then
  ./mvnw -q dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/bench/test-classpath.txt
fi
if [[ ! -f target/rma-coordinator.jar || -n "$(find src/main -newer target/rma-coordinator.jar -print -quit)" ]]; then
  ./mvnw -q -DskipTests package
fi
exec "$JAVA" -Xmx1g "${UNSAFE[@]}" \
  -Djava.util.logging.config.file=src/test/resources/logging-test.properties \
  -cp "target/rma-coordinator.jar:$(cat target/bench/test-classpath.txt)" \
  bench/ResyncBench.java "$@"
