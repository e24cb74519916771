package io.rma.coordinator.routing;

import io.rma.coordinator.routing.UpstreamFailure.Kind;

/**
 * Which failed attempts go on to another worker. What cannot have started there (nothing was sent,
 * or the worker said it declined) always may; what may have started only when the request is
 * idempotent (the catalogue marks the service so, or the method is safe), since a second worker
 * would do it again.
 */
public final class FailoverPolicy {
  private FailoverPolicy() {}

  /** Whether a failed attempt may go on to another worker. */
  public static boolean mayRetry(UpstreamFailure.Kind kind, boolean idempotent) {
    return kind == Kind.NOT_SENT || kind == Kind.REJECTED || idempotent;
  }

  /** Whether an answer with this status is the worker declining (another worker is tried). */
  public static boolean declined(int status, boolean idempotent) {
    return status == 502 || status == 503 || (status >= 500 && idempotent);
  }

  /** Whether the request may have been worked on by a worker that then failed. */
  public static boolean mayHaveStarted(UpstreamFailure.Kind kind) {
    return kind == Kind.FAILED || kind == Kind.TIMEOUT;
  }
}
