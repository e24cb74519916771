package io.rma.coordinator.http;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.Pool;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The pool in /observe/metrics: {@code rma_workers{tier, phase}} (gauges read at scrape time from
 * the live pool view, counted once per scrape and reused for a second), {@code
 * rma_heartbeats_total{reported}} and {@code rma_registrations_total{kind}}. No worker id is ever a
 * label.
 */
public final class PoolMetrics {
  /** Label, then the tier's index in {@link PoolCounts}. */
  private static final Map<String, Integer> TIERS = Map.of("1", 1, "2", 2, "3", 3, "none", 0);

  private static final Duration REUSE = Duration.ofSeconds(1);

  /**
   * The pool the gauges read: one coordinator per process; where tests start several in one JVM,
   * the one whose routing was built last is exported.
   */
  private static final AtomicReference<Pool> POOL = new AtomicReference<>();

  private static final AtomicReference<Counts> COUNTS = new AtomicReference<>();

  private static final Counter BEATS_HEALTHY = beats("healthy");
  private static final Counter BEATS_DEGRADED = beats("degraded");
  private static final Counter REGISTERED_NEW = registrations("new");
  private static final Counter REGISTERED_AGAIN = registrations("again");

  static {
    TIERS.forEach(
        (label, tier) -> {
          for (WorkerPhase phase : WorkerPhase.values()) {
            Metrics.getOrCreate(
                Gauge.builder("rma.workers", () -> counts().counts().of(tier, phase))
                    .description("Workers in the pool, by tier and phase")
                    .tags(
                        List.of(
                            Tag.create("tier", label),
                            Tag.create("phase", phase.name().toLowerCase(Locale.ROOT)))));
          }
        });
  }

  private PoolMetrics() {}

  /** Exports {@code pool} from now on. */
  public static void export(Pool pool) {
    POOL.set(pool);
    COUNTS.set(null);
  }

  static void heartbeat(boolean degraded) {
    (degraded ? BEATS_DEGRADED : BEATS_HEALTHY).increment();
  }

  static void registration(boolean again) {
    (again ? REGISTERED_AGAIN : REGISTERED_NEW).increment();
  }

  private static Counter beats(String reported) {
    return Metrics.getOrCreate(
        Counter.builder("rma.heartbeats")
            .description("Heartbeats accepted, by the health the worker reported")
            .tags(List.of(Tag.create("reported", reported))));
  }

  private static Counter registrations(String kind) {
    return Metrics.getOrCreate(
        Counter.builder("rma.registrations")
            .description("Registrations accepted: new workers, and known ones registering again")
            .tags(List.of(Tag.create("kind", kind))));
  }

  /** The pool counted at {@code at}. */
  private record Counts(Pool pool, Instant at, PoolCounts counts) {}

  private static Counts counts() {
    Pool pool = POOL.get();
    Counts kept = COUNTS.get();
    Instant now = Instant.now();
    if (kept != null && kept.pool() == pool && now.isBefore(kept.at().plus(REUSE))) {
      return kept;
    }
    Counts made = new Counts(pool, now, PoolCounts.of(pool == null ? List.of() : pool.workers()));
    COUNTS.set(made);
    return made;
  }
}
