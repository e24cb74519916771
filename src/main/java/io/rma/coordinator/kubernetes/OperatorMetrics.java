package io.rma.coordinator.kubernetes;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * JOSDK's metrics hook, into Helidon's global registry (so {@code /observe/metrics} shows it):
 * {@code rma_reconciles_total{outcome="success"|"failure"}}, {@code rma_reconcile_duration_seconds}
 * (a timer over the reconciler's own work), and the {@code rma_leader} gauge (1 while this replica
 * leads). No worker name as a label: the cardinality stays that of the outcomes.
 */
public final class OperatorMetrics implements io.javaoperatorsdk.operator.api.monitoring.Metrics {
  /** The replica the gauge reports on: the latest to start (one per process outside tests). */
  private static volatile BooleanSupplier leading = () -> false;

  private final Counter successes = reconciles("success");
  private final Counter failures = reconciles("failure");
  private final Timer duration =
      Metrics.getOrCreate(
          Timer.builder("rma.reconcile.duration")
              .description("Time the RMAWorker reconciler took per reconcile")
              .baseUnit(TimeUnit.SECONDS));

  /**
   * @param leader whether this replica leads now
   */
  public OperatorMetrics(BooleanSupplier leader) {
    leading = leader;
    Metrics.getOrCreate(
        Gauge.builder("rma.leader", () -> leading.getAsBoolean() ? 1 : 0)
            .description(
                "1 while this replica leads (reconciles and serves the API), 0 on a standby"));
  }

  private static Counter reconciles(String outcome) {
    return Metrics.getOrCreate(
        Counter.builder("rma.reconciles")
            .description("RMAWorker reconciles, by outcome (failure: an exception, JOSDK retries)")
            .tags(List.of(Tag.create("outcome", outcome))));
  }

  @Override
  public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
    if (!"reconcile".equals(execution.name())) {
      return execution.execute(); // cleanup: this reconciler has none
    }
    long start = System.nanoTime();
    try {
      T result = execution.execute();
      successes.increment();
      return result;
    } catch (Exception e) {
      failures.increment();
      throw e;
    } finally {
      duration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }
}
