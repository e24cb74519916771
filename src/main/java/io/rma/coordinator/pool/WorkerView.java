package io.rma.coordinator.pool;

import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import java.time.Instant;
import java.util.Set;

/**
 * A worker as it stands now: the stored object overlaid with the last heartbeat held in memory, and
 * the phase the policy gives it at this instant (which the store catches up with on the next loop).
 */
public record WorkerView(
    RMAWorker worker,
    WorkerPhase phase,
    Instant lastSeen,
    Double load,
    String availableMemory,
    Set<String> services) {

  public String name() {
    return worker.getMetadata().getName();
  }
}
