package io.rma.coordinator.tasks;

/**
 * What the task queue reports for metrics, with no metrics library in this package: the HTTP tier
 * binds it to Helidon's meters ({@code http.TaskMetrics}). Called under the dispatcher's lock or
 * right after it: implementations must be quick and must not call back into the dispatcher.
 */
public interface TaskEvents {
  /** Reports nothing. */
  TaskEvents NONE = new TaskEvents() {};

  /** A task finished (completed or failed) and the change is durable. */
  default void finished(Task task) {}

  /**
   * Finished tasks left memory before their retention ran out, to stay within the memory budget.
   *
   * @param keptOnDisk true: the database file still holds them (and their keys) until the
   *     retention; false: they are gone
   */
  default void evicted(int count, boolean keptOnDisk) {}
}
