package io.rma.coordinator.tasks;

import java.util.Locale;

/** Where a task is: waiting, held by a worker, or finished one way or the other. */
public enum TaskState {
  /** In its service's queue, waiting for a pull worker. */
  QUEUED,
  /** Held by one worker until its lease deadline. */
  LEASED,
  /** A worker's result was accepted. */
  COMPLETED,
  /** No result: attempts ran out, a worker refused it for good, or nobody took it. */
  FAILED;

  public boolean finished() {
    return this == COMPLETED || this == FAILED;
  }

  /** The name on the wire: {@code queued}, {@code leased}, {@code completed}, {@code failed}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
