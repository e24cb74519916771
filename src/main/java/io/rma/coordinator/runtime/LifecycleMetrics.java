package io.rma.coordinator.runtime;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import io.rma.coordinator.pool.LifecycleLog;
import io.rma.coordinator.pool.PruneGate;

/**
 * The pool's lifecycle in {@code /observe/metrics}, both modes: {@code rma_workers_pruned_total}
 * and {@code rma_pruning_paused} (1 while pruning is held back: a mass-staleness pause, or the
 * offline window after one).
 */
final class LifecycleMetrics implements LifecycleLog.Listener {
  /** The gate the gauge reports on: the latest coordinator's (one per process outside tests). */
  private static volatile PruneGate watched;

  private final Counter pruned =
      Metrics.getOrCreate(
          Counter.builder("rma.workers.pruned")
              .description("Workers removed for being silent past the prune window"));

  private LifecycleMetrics() {}

  static void watch(LifecycleLog log, PruneGate gate) {
    watched = gate;
    Metrics.getOrCreate(
        Gauge.builder(
                "rma.pruning.paused",
                () -> {
                  PruneGate g = watched;
                  return g == null || g.state() == PruneGate.State.OPEN ? 0 : 1;
                })
            .description(
                "1 while pruning is held back (mass-staleness pause, or the offline window after"
                    + " it)"));
    log.listen(new LifecycleMetrics());
  }

  @Override
  public void changed(LifecycleLog.Change change) {
    if (change.pruned()) {
      pruned.increment();
    }
  }
}
