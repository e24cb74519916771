package io.rma.coordinator.api.v1alpha1;

/** Where a worker stands, as the control plane sees it. */
public enum WorkerPhase {
  /** Heartbeats arrive and the worker reports itself healthy: it receives work. */
  Healthy,
  /** Heartbeats arrive but the worker reports itself degraded: used only when nothing else can. */
  Degraded,
  /** Heartbeats stopped: never receives work; removed after the prune window. */
  Offline,
  /** An operator asked the worker to drain: it receives no new work. */
  Draining
}
