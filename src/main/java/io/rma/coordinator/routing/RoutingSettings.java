package io.rma.coordinator.routing;

import java.time.Duration;

/**
 * How inference requests are sent to workers.
 *
 * @param loadCeiling workers that last reported more load than this get no new requests
 * @param connectTimeout longest wait for a TCP connection to a worker
 * @param upstreamTimeout longest wait for a worker's answer, and between two chunks of a streamed
 *     answer
 * @param maxBodyBytes largest inference request accepted, and largest (non-streamed) worker answer
 *     passed back
 * @param attempts most workers one request is sent to (failover included)
 * @param ejectAfterFailures consecutive failures after which a worker is taken out of rotation
 * @param ejectFor how long the first ejection lasts; repeated ejections last longer (up to 8x)
 * @param inflightBodyBytes most inference request bytes held in memory at once, across requests
 *     (503 past it); 0 for the default, a quarter of the heap but at least {@code maxBodyBytes}
 * @param bodyTimeout longest wait for more of an inference request's body; past it the client's
 *     connection is closed and the bytes the body held are given back
 * @param headTimeout longest wait for a client's request line and headers (an idle kept-alive
 *     connection is closed after it too)
 */
public record RoutingSettings(
    double loadCeiling,
    Duration connectTimeout,
    Duration upstreamTimeout,
    long maxBodyBytes,
    int attempts,
    int ejectAfterFailures,
    Duration ejectFor,
    long inflightBodyBytes,
    Duration bodyTimeout,
    Duration headTimeout) {

  public RoutingSettings {
    if (attempts < 1 || ejectAfterFailures < 1 || maxBodyBytes < 1) {
      throw new IllegalArgumentException(
          "attempts, eject-after-failures and max body bytes must be at least 1");
    }
    if (inflightBodyBytes != 0 && inflightBodyBytes < maxBodyBytes) {
      throw new IllegalArgumentException(
          "the in-flight body limit must be 0 (the default) or at least the largest body");
    }
  }

  /**
   * The limit on request bytes held at once: {@code inflightBodyBytes}, or by default a quarter of
   * the heap and never less than one body of the largest accepted size.
   */
  public long inflightBodyLimit() {
    return inflightBodyBytes > 0
        ? inflightBodyBytes
        : Math.max(maxBodyBytes, Runtime.getRuntime().maxMemory() / 4);
  }

  public static RoutingSettings defaults() {
    return new RoutingSettings(
        0.8,
        Duration.ofSeconds(2),
        Duration.ofSeconds(120),
        16L * 1024 * 1024,
        3,
        3,
        Duration.ofSeconds(30),
        0,
        Duration.ofSeconds(60),
        Duration.ofSeconds(30));
  }
}
