package io.rma.coordinator.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One task as it stands: an immutable snapshot. Every change makes a new one, so a snapshot can be
 * handed to another thread (an HTTP answer, the journal) without a lock.
 *
 * @param id the task id
 * @param seq order of submission; a task put back in the queue keeps its place
 * @param service the service whose pull workers may take it
 * @param route what the worker should call: the worker-side path of the service
 * @param model the model the request names, or null; workers that list models only get theirs
 * @param request the request body; dropped once the task is finished
 * @param idempotencyKey the client's {@code Idempotency-Key}, or null
 * @param requestDigest digest of service, route and request, to spot a key reused for another one
 * @param state where the task is
 * @param attempt deliveries so far (the current one while leased)
 * @param maxAttempts deliveries allowed
 * @param leaseHolder the worker holding it while leased
 * @param leaseDeadline when the lease runs out while leased
 * @param createdAt when it was submitted
 * @param queuedAt when it last entered the queue
 * @param finishedAt when it completed or failed
 * @param result the accepted result
 * @param statusCode the HTTP status the worker's own call answered with (200 by default)
 * @param completedBy the worker whose result was accepted
 * @param failure why it failed
 * @param error the message the client gets when it failed
 * @param history one line per lost or failed attempt, oldest first
 * @param bytes the length as JSON text of what it holds: its request until it finishes, then its
 *     result (see {@link #footprint()} for the memory that takes)
 */
public record Task(
    String id,
    long seq,
    String service,
    String route,
    String model,
    JsonNode request,
    String idempotencyKey,
    String requestDigest,
    TaskState state,
    int attempt,
    int maxAttempts,
    String leaseHolder,
    Instant leaseDeadline,
    Instant createdAt,
    Instant queuedAt,
    Instant finishedAt,
    JsonNode result,
    int statusCode,
    String completedBy,
    Failure failure,
    String error,
    List<String> history,
    long bytes) {

  /**
   * Heap a held task costs besides its strings and JSON: the snapshot, its entries in the queue's
   * maps and lists. Measured (JDK 25, compressed oops) at about 700 bytes per finished task with an
   * idempotency key and a small result, strings included.
   */
  private static final long OVERHEAD = 480;

  public Task {
    history = List.copyOf(history);
  }

  /**
   * About the heap this task takes while it is held: {@link #OVERHEAD}, its strings (one byte a
   * character, as compact strings hold ASCII), and its request or result as a parsed JSON tree,
   * counted as 1.25 times its text plus 96 bytes (measured: within 20% for text-heavy answers; a
   * result made of many small numbers takes more). The memory budget ({@code RMA_TASK_MEMORY_MIB})
   * is a sum of these.
   */
  long footprint() {
    long strings =
        chars(id)
            + chars(service)
            + chars(route)
            + chars(model)
            + chars(idempotencyKey)
            + chars(requestDigest)
            + chars(leaseHolder)
            + chars(completedBy)
            + chars(error);
    for (String line : history) {
      strings += 40 + line.length();
    }
    return OVERHEAD + strings + (bytes == 0 ? 0 : bytes + bytes / 4 + 96);
  }

  private static long chars(String s) {
    return s == null ? 0 : 40 + s.length();
  }

  /** A new task, waiting in its service's queue. */
  static Task queued(
      String id,
      long seq,
      String service,
      String route,
      String model,
      JsonNode request,
      String idempotencyKey,
      String requestDigest,
      int maxAttempts,
      Instant now,
      long bytes) {
    return new Task(
        id,
        seq,
        service,
        route,
        model,
        request,
        idempotencyKey,
        requestDigest,
        TaskState.QUEUED,
        0,
        maxAttempts,
        null,
        null,
        now,
        now,
        null,
        null,
        0,
        null,
        null,
        null,
        List.of(),
        bytes);
  }

  Task leased(String worker, Instant deadline) {
    return new Task(
        id,
        seq,
        service,
        route,
        model,
        request,
        idempotencyKey,
        requestDigest,
        TaskState.LEASED,
        attempt + 1,
        maxAttempts,
        worker,
        deadline,
        createdAt,
        queuedAt,
        null,
        null,
        0,
        null,
        null,
        null,
        history,
        bytes);
  }

  Task extended(Instant deadline) {
    return new Task(
        id,
        seq,
        service,
        route,
        model,
        request,
        idempotencyKey,
        requestDigest,
        state,
        attempt,
        maxAttempts,
        leaseHolder,
        deadline,
        createdAt,
        queuedAt,
        null,
        null,
        0,
        null,
        null,
        null,
        history,
        bytes);
  }

  /** Back in the queue; {@code note} says what happened to the attempt (null: not counted). */
  Task requeued(Instant now, String note, boolean countAttempt) {
    return new Task(
        id,
        seq,
        service,
        route,
        model,
        request,
        idempotencyKey,
        requestDigest,
        TaskState.QUEUED,
        countAttempt ? attempt : attempt - 1,
        maxAttempts,
        null,
        null,
        createdAt,
        now,
        null,
        null,
        0,
        null,
        null,
        null,
        note == null ? history : append(history, note),
        bytes);
  }

  Task completed(Instant now, JsonNode answer, int status, String worker, long resultBytes) {
    return new Task(
        id,
        seq,
        service,
        route,
        model,
        null,
        idempotencyKey,
        requestDigest,
        TaskState.COMPLETED,
        attempt,
        maxAttempts,
        null,
        null,
        createdAt,
        queuedAt,
        now,
        answer,
        status,
        worker,
        null,
        null,
        history,
        resultBytes);
  }

  Task failed(Instant now, Failure why, String note, String message) {
    return new Task(
        id,
        seq,
        service,
        route,
        model,
        null,
        idempotencyKey,
        requestDigest,
        TaskState.FAILED,
        attempt,
        maxAttempts,
        null,
        null,
        createdAt,
        queuedAt,
        now,
        null,
        0,
        null,
        why,
        message,
        note == null ? history : append(history, note),
        0);
  }

  /** Failed: no worker took it within {@code timeout}. */
  Task notPickedUp(Instant now, Duration timeout) {
    return failed(
        now,
        Failure.NOT_PICKED_UP,
        null,
        "task "
            + id
            + ": no pull worker of service "
            + service
            + (model == null ? "" : " serving model " + model)
            + " took it within "
            + timeout.toSeconds()
            + "s"
            + (history.isEmpty() ? "" : " (" + String.join("; ", history) + ")"));
  }

  /** Failed: its last attempt was lost or failed too ({@code note} says how). */
  Task exhausted(Instant now, String note) {
    return failed(
        now,
        Failure.ATTEMPTS_EXHAUSTED,
        note,
        "task "
            + id
            + " failed after "
            + attempt
            + (attempt == 1 ? " attempt: " : " attempts: ")
            + String.join("; ", append(history, note)));
  }

  private static List<String> append(List<String> list, String line) {
    List<String> next = new ArrayList<>(list);
    next.add(line);
    return next;
  }
}
