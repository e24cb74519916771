package io.rma.coordinator.tasks;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * How a finished task ended, for the caller that waited for it.
 *
 * @param task the finished task
 */
public record TaskOutcome(Task task) {
  public boolean completed() {
    return task.state() == TaskState.COMPLETED;
  }

  /** The worker's result (completed tasks). */
  public JsonNode result() {
    return task.result();
  }

  /** The HTTP status the worker's own call answered with (completed tasks; 200 by default). */
  public int statusCode() {
    return task.statusCode();
  }

  /** Why it failed (failed tasks). */
  public Failure failure() {
    return task.failure();
  }

  /** A message naming the cause (failed tasks): every lost attempt, or the worker's error. */
  public String error() {
    return task.error();
  }

  /**
   * The status a client should get for a failed task: 503 when no worker took it, else 502 (the
   * workers failed).
   */
  public int failureStatus() {
    return task.failure() == Failure.NOT_PICKED_UP ? 503 : 502;
  }
}
