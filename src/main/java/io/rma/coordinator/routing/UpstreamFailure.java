package io.rma.coordinator.routing;

/** A call to a worker that produced no usable answer. */
public final class UpstreamFailure extends Exception {
  /** How far the call got, which decides whether another worker may be tried. */
  public enum Kind {
    /** Nothing reached the worker (refused, unreachable, connect timeout): safe to fail over. */
    NOT_SENT,
    /**
     * The worker answered 502 or 503 (or, for an idempotent service, any 5xx): it did not serve the
     * request, and says so.
     */
    REJECTED,
    /**
     * A kept-alive connection ended after the request went out, before any answer: the worker
     * closed it while idle just then, or read the request and died. It may have started.
     */
    STALE,
    /** The worker may have started on the request. */
    FAILED,
    /** The worker did not answer (or stopped sending) within the upstream timeout. */
    TIMEOUT
  }

  private final Kind kind;

  public UpstreamFailure(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
