package io.rma.coordinator.health;

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
