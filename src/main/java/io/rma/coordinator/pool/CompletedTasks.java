package io.rma.coordinator.pool;

import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;

/**
 * Results counted as they arrive, outside the loop, which the loop folds into each worker's {@code
 * status.tasksCompleted} on its next pass: one status write per worker per pass at most, never one
 * per result.
 */
public interface CompletedTasks {
  /** Results of {@code worker} not yet written to its status. */
  long unwritten(String worker);

  /** {@code count} of them are now in the stored status. */
  void written(String worker, long count);

  /**
   * Adds the worker's unwritten results to {@code desired}; returns how many, for {@link #written}
   * once that status is stored.
   */
  default long addTo(String worker, RMAWorkerStatus desired) {
    long results = unwritten(worker);
    if (results > 0) {
      desired.setTasksCompleted(desired.getTasksCompleted() + results);
    }
    return results;
  }

  /** The worker is gone; its unwritten count goes with it. */
  void forget(String worker);

  /** No task machinery: nothing to fold in. */
  CompletedTasks NONE =
      new CompletedTasks() {
        @Override
        public long unwritten(String worker) {
          return 0;
        }

        @Override
        public void written(String worker, long count) {}

        @Override
        public void forget(String worker) {}
      };
}
