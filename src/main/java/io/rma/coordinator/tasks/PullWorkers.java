package io.rma.coordinator.tasks;

import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.WorkerMode;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.WorkerView;

/** Which workers take their work by polling, as the pool sees them now. */
final class PullWorkers {
  private PullWorkers() {}

  /** Whether a worker takes its work by polling: registered with {@code "mode": "pull"}. */
  static boolean pulls(RMAWorkerSpec spec) {
    return spec != null && spec.getMode() == WorkerMode.pull;
  }

  /**
   * Whether a Healthy pull worker runs {@code service} (and serves {@code model}, when not null).
   */
  static boolean any(Pool pool, String service, String model) {
    for (WorkerView v : pool.workers()) {
      if (v.phase() == WorkerPhase.Healthy
          && pulls(v.worker().getSpec())
          && v.services().contains(service)
          && v.servesModel(model)) {
        return true;
      }
    }
    return false;
  }

  /** The worker's phase now; Offline when it is no longer registered. */
  static WorkerPhase phaseOf(Pool pool, String worker) {
    return pool.worker(worker).map(WorkerView::phase).orElse(WorkerPhase.Offline);
  }
}
