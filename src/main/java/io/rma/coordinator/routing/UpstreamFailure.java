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
     * The worker may have started on the request (the connection failed after it went out, or the
     * worker read it and hung up).
     */
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
