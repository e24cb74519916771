package io.rma.coordinator.tasks;

import java.time.Duration;

/**
 * The queue refused what was asked, and changed nothing. The HTTP layer answers with {@link
 * Kind#status()}.
 */
public final class TaskRejection extends RuntimeException {
  /** What kind of refusal, and the HTTP status it maps to. */
  public enum Kind {
    /** The service's queue is full: 429 with {@code Retry-After}. */
    QUEUE_FULL(429),
    /** No such task (never existed, or past its retention): 404. */
    NOT_FOUND(404),
    /** Not the current lease holder or attempt, or the task is already finished: 409. */
    CONFLICT(409),
    /** An {@code Idempotency-Key} already names a different request: 422. */
    KEY_REUSED(422);

    private final int status;

    Kind(int status) {
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  private final Kind kind;
  private final Duration retryAfter;

  public TaskRejection(Kind kind, String message) {
    this(kind, message, null);
  }

  public TaskRejection(Kind kind, String message, Duration retryAfter) {
    super(message, null, false, false);
    this.kind = kind;
    this.retryAfter = retryAfter;
  }

  public Kind kind() {
    return kind;
  }

  /** For {@link Kind#QUEUE_FULL}: how long the client should wait before trying again. */
  public Duration retryAfter() {
    return retryAfter;
  }
}
