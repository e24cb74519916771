package io.rma.coordinator.security;

/** How workers prove who they are on their own calls ({@code RMA_WORKER_AUTH}). */
public enum WorkerAuthMode {
  /** Every call about a worker carries its {@code worker_token}. */
  token,
  /**
   * A worker that has used its {@code worker_token} once (or registered with the join token) must
   * send it from then on; one that never has (the original agents, which send no credentials) is
   * accepted without. A wrong credential is always refused.
   */
  auto,
  /** No worker credentials are checked. */
  none
}
