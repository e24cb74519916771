# RMA Coordinator image: build with the Maven wrapper on a JDK 21, run on a JRE 21.
#
#   docker build -t rma-coordinator .
#   docker run -p 8080:8080 -v rma-data:/data rma-coordinator
#
# Standalone mode by default, workers kept in /data/rma.db (mount a volume there to keep them across
# restarts). Both stages start from debian:trixie-slim: the only distribution whose archive has
# OpenJDK 21 packages and whose base image can be rebuilt with debootstrap where no image registry is
# reachable (scripts/container-smoke.sh does that).

FROM debian:trixie-slim AS build
# -slim images drop /usr/share/man; the JDK's postinst registers its man pages there and would fail.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-21-jdk-headless ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies and plugins first, in their own layer: it is rebuilt only when the pom changes.
# (Packaging an empty project resolves exactly what `package` needs; dependency:go-offline would
# also fetch test and formatter artifacts the image never uses.)
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
RUN ./mvnw -B -q -DskipTests package && rm -rf target
COPY src/ src/
RUN ./mvnw -B -q -DskipTests package

FROM debian:trixie-slim
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-21-jre-headless \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 rma \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin rma \
 && mkdir -p /data \
 && chown 10001:10001 /data
WORKDIR /app
COPY --from=build /src/target/libs/ /app/libs/
COPY --from=build /src/target/rma-coordinator.jar /app/rma-coordinator.jar
COPY --chmod=755 src/main/docker/entrypoint.sh /app/entrypoint.sh

# Numeric user so Kubernetes can check runAsNonRoot without reading /etc/passwd.
USER 10001:10001
VOLUME ["/data"]
ENV PORT=8080 \
    DATABASE_PATH=/data/rma.db \
    JDK_JAVA_OPTIONS="-XX:+UseSerialGC -XX:MaxRAMPercentage=50 -Xss256k -XX:+ExitOnOutOfMemoryError"
# JVM flags, sized for a 256 MB container (see docs/deploy.md):
#  - SerialGC: one GC thread and the smallest GC bookkeeping; free tiers give a fraction of a core.
#  - MaxRAMPercentage=50: heap = half the container's memory (128 MB of 256 MB), leaving the other
#    half to metaspace, code cache, thread stacks and native buffers, which a Helidon + fabric8
#    process needs ~90-110 MB of. A percentage follows the limit when the same image gets 512 MB
#    (Render, Railway) or a Helm-set limit; a fixed -Xmx would not.
#  - Xss256k: request handlers run on virtual threads; the few platform threads need little stack.
#  - ExitOnOutOfMemoryError: let the platform restart a broken process instead of limping on.
# JDK_JAVA_OPTIONS is read by the java launcher only; override it to change the flags.
EXPOSE 8080
# Runs java as 10001; started as root (a host whose volumes are root-owned), it first hands
# DATABASE_PATH's directory to 10001 and drops root (src/main/docker/entrypoint.sh).
ENTRYPOINT ["/app/entrypoint.sh"]
