package io.rma.coordinator.http;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.rma.coordinator.pool.ServiceCatalogue;
import io.rma.coordinator.pool.ServiceCatalogue.ServiceDefinition;
import io.rma.coordinator.tasks.PullDispatcher;
import io.rma.coordinator.tasks.Task;
import io.rma.coordinator.tasks.TaskEvents;
import io.rma.coordinator.tasks.TaskState;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The pull-worker task queue in /observe/metrics, with labels of low cardinality only (services of
 * the catalogue, a handful of outcomes; never a task or worker id):
 *
 * <ul>
 *   <li>{@code rma_task_queue_depth{service}}: tasks waiting in each service's queue;
 *   <li>{@code rma_task_outcomes_total{outcome}}: finished tasks, {@code completed}, or failed with
 *       {@code rejected} (the worker said not to retry), {@code attempts_exhausted} or {@code
 *       not_picked_up};
 *   <li>{@code rma_tasks_forgotten_early_total}: finished tasks (and their idempotency keys)
 *       forgotten before {@code RMA_TASK_RETENTION} to stay within {@code RMA_TASK_MEMORY_MIB},
 *       with no database file to keep them;
 *   <li>{@code rma_tasks_evicted_to_disk_total}: finished tasks that left memory early for the same
 *       reason but stay in the database file until their retention.
 * </ul>
 *
 * Meters live in Helidon's process-wide registry, so the gauges read the dispatcher last bound (one
 * per process outside tests).
 */
public final class TaskMetrics implements TaskEvents {
  private static final AtomicReference<PullDispatcher> BOUND = new AtomicReference<>();

  private final ConcurrentHashMap<String, Counter> outcomes = new ConcurrentHashMap<>();
  private final Counter forgottenEarly =
      Metrics.getOrCreate(
          Counter.builder("rma.tasks.forgotten.early")
              .description(
                  "Finished tasks and their idempotency keys forgotten before RMA_TASK_RETENTION"
                      + " to stay within RMA_TASK_MEMORY_MIB (no database file)"));
  private final Counter evictedToDisk =
      Metrics.getOrCreate(
          Counter.builder("rma.tasks.evicted.to.disk")
              .description(
                  "Finished tasks moved out of memory before RMA_TASK_RETENTION to stay within"
                      + " RMA_TASK_MEMORY_MIB, kept in the database file"));

  /** Registers a queue-depth gauge for every service of the catalogue. */
  public TaskMetrics(ServiceCatalogue catalogue) {
    for (ServiceDefinition s : catalogue.all()) {
      String service = s.name();
      Metrics.getOrCreate(
          Gauge.builder(
                  "rma.task.queue.depth",
                  () -> {
                    PullDispatcher d = BOUND.get();
                    return d == null ? 0 : d.queued(service);
                  })
              .description("Tasks waiting in the service's pull queue")
              .tags(List.of(Tag.create("service", service))));
    }
  }

  /** The dispatcher whose queues the gauges show. */
  public void bind(PullDispatcher tasks) {
    BOUND.set(tasks);
  }

  @Override
  public void finished(Task task) {
    String outcome =
        task.state() == TaskState.COMPLETED
            ? "completed"
            : task.failure() == null ? "failed" : task.failure().name().toLowerCase(Locale.ROOT);
    outcomes
        .computeIfAbsent(
            outcome,
            o ->
                Metrics.getOrCreate(
                    Counter.builder("rma.task.outcomes")
                        .description("Pull-worker tasks finished, by outcome")
                        .tags(List.of(Tag.create("outcome", o)))))
        .increment();
  }

  @Override
  public void evicted(int count, boolean keptOnDisk) {
    (keptOnDisk ? evictedToDisk : forgottenEarly).increment(count);
  }
}
