package io.rma.coordinator.pool;

import java.time.Duration;

/**
 * Timing of the health rules.
 *
 * @param heartbeatInterval how often workers are told to beat
 * @param offlineAfter silence after which a worker is Offline (default three intervals)
 * @param pruneAfter silence after which a worker is removed
 * @param grace after a (re)start or takeover, how long nobody is judged stale
 * @param massStaleMinPool pools at least this large pause pruning when too many are stale
 * @param massStaleFraction the share of stale workers above which pruning pauses
 * @param statusKeepalive how often load and last-seen are written when nothing else changed
 */
public record HealthSettings(
    Duration heartbeatInterval,
    Duration offlineAfter,
    Duration pruneAfter,
    Duration grace,
    int massStaleMinPool,
    double massStaleFraction,
    Duration statusKeepalive) {

  public static HealthSettings defaults() {
    return new HealthSettings(
        Duration.ofSeconds(30),
        Duration.ofSeconds(90),
        Duration.ofMinutes(30),
        Duration.ofSeconds(90),
        10,
        0.55,
        Duration.ofMinutes(5));
  }
}
