package io.rma.coordinator.pool;

import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import java.util.List;
import java.util.Optional;

/**
 * Where RMAWorker objects live: the embedded store in standalone mode, the API server in Kubernetes
 * mode. Every write is durable when it returns, so an API answer given after it is never lost.
 * Reads are served from memory.
 */
public interface WorkerStore extends AutoCloseable {
  /**
   * Creates the worker, or replaces the spec and status of the one with the same name. Returns the
   * stored object (with generation and creation time filled in).
   */
  RMAWorker save(RMAWorker worker);

  Optional<RMAWorker> get(String name);

  List<RMAWorker> list();

  /** Removes the worker; false when there was none. */
  boolean delete(String name);

  /** Replaces the status of an existing worker; false when it is gone. */
  boolean updateStatus(String name, RMAWorkerStatus status);

  /**
   * A number that changes whenever {@link #list()} would return something else, or -1 when the
   * store cannot tell cheaply. Readers that list on every request (routing) keep what they made of
   * the list while it stands.
   */
  default long version() {
    return -1;
  }

  /** Human-readable kind of store, for health output ("memory", "sqlite", "kubernetes"). */
  String kind();

  /** True when the store can take writes (readiness). */
  default boolean ready() {
    return true;
  }

  /** Why the store takes no writes now (for readiness and the admin API); empty when it does. */
  default Optional<String> problem() {
    return ready() ? Optional.empty() : Optional.of("the " + kind() + " store is not ready");
  }

  @Override
  default void close() {}
}
