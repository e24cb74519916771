package io.rma.coordinator.pool;

import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import java.time.Instant;
import java.util.List;
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

  /** The models the worker advertises; empty when it advertises none (it takes any model). */
  public List<String> models() {
    List<String> m = worker.getSpec() == null ? null : worker.getSpec().getModels();
    return m == null ? List.of() : m;
  }

  /** Whether the worker advertises {@code model} by name. */
  public boolean advertises(String model) {
    return model != null && models().contains(model);
  }

  /**
   * Whether the worker can serve {@code model}: it advertises it, or advertises no models at all
   * (it takes any), or no model is asked for.
   */
  public boolean servesModel(String model) {
    return model == null || models().isEmpty() || models().contains(model);
  }
}
