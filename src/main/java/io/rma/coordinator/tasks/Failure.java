package io.rma.coordinator.tasks;

/** Why a task failed; decides what the waiting client is answered. */
public enum Failure {
  /** Every attempt was lost (lease expired, worker went Offline) or answered with an error. */
  ATTEMPTS_EXHAUSTED,
  /** A worker reported an error it marked as not worth retrying elsewhere. */
  REJECTED,
  /** No pull worker took the task within the queue timeout. */
  NOT_PICKED_UP
}
