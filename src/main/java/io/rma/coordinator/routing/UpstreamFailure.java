package io.rma.coordinator.routing;

/** A call to a worker that produced no usable answer. */
final class UpstreamFailure extends Exception {
  /** How far the call got, which decides whether another worker may be tried. */
  enum Kind {
    /** Nothing reached the worker (refused, unreachable, connect timeout): safe to fail over. */
    NOT_SENT,
    /**
     * A kept-alive connection the worker had closed: it ended before any answer came back. Safe to
     * fail over once per request (see docs/routing.md).
     */
    STALE,
    /** The worker may have started on the request. */
    FAILED,
    /** The worker did not answer (or stopped sending) within the upstream timeout. */
    TIMEOUT
  }

  private final Kind kind;

  UpstreamFailure(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  Kind kind() {
    return kind;
  }
}
