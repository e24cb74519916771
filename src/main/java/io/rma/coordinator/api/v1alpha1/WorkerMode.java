package io.rma.coordinator.api.v1alpha1;

/** How a worker receives inference work. */
public enum WorkerMode {
  /** The coordinator calls the worker's endpoint over HTTP. */
  push,
  /** The worker polls the coordinator for tasks (behind NAT, no reachable endpoint). */
  pull
}
