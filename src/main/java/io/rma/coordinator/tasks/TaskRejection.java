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

  static TaskRejection queueFull(String service, TaskSettings settings) {
    return new TaskRejection(
        Kind.QUEUE_FULL,
        "the queue of service "
            + service
            + " is full ("
            + settings.queueCapacity()
            + " tasks waiting); try again later",
        settings.retryAfter());
  }

  static TaskRejection memoryFull(long held, TaskSettings settings) {
    return new TaskRejection(
        Kind.QUEUE_FULL,
        "queued and running tasks hold "
            + held / 1024
            + " KiB, the most the coordinator keeps is "
            + settings.maxBytes() / 1024
            + " KiB (RMA_TASK_MEMORY_MIB); try again later",
        settings.retryAfter());
  }

  static TaskRejection keyReused(String key, Task existing) {
    return new TaskRejection(
        Kind.KEY_REUSED,
        "Idempotency-Key "
            + key
            + " already names task "
            + existing.id()
            + ", which was submitted with a different request");
  }

  static TaskRejection notFound(String id, Duration retention) {
    return new TaskRejection(
        Kind.NOT_FOUND,
        "no task " + id + ": unknown, or finished more than " + retention.toSeconds() + "s ago");
  }

  /** An answer for a task that is over: it changes nothing. */
  static TaskRejection finished(Task t) {
    return new TaskRejection(
        Kind.CONFLICT,
        "task " + t.id() + " is already " + t.state().wire() + "; this answer changes nothing");
  }

  static TaskRejection notLeasedTo(Task t, String worker) {
    return new TaskRejection(
        Kind.CONFLICT,
        "task "
            + t.id()
            + " is not leased to worker "
            + worker
            + ": the lease was lost and the task went back to the queue"
            + (t.state() == TaskState.LEASED ? " and to another worker" : ""));
  }

  static TaskRejection attemptOver(Task t, int attempt) {
    return new TaskRejection(
        Kind.CONFLICT,
        "attempt "
            + attempt
            + " of task "
            + t.id()
            + " is over; the current attempt is "
            + t.attempt());
  }

  public Kind kind() {
    return kind;
  }

  /** For {@link Kind#QUEUE_FULL}: how long the client should wait before trying again. */
  public Duration retryAfter() {
    return retryAfter;
  }
}
