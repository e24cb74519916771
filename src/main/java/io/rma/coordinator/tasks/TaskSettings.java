package io.rma.coordinator.tasks;

import java.time.Duration;

/**
 * Limits and timings of the pull-worker task queue.
 *
 * @param queueCapacity tasks that may wait in one service's queue; one more is refused (429)
 * @param maxAttempts deliveries before a task fails (a lost lease or a worker's error each count)
 * @param lease how long a worker holds a task before it goes back to the queue
 * @param maxLease the longest lease a worker may ask for when it extends one
 * @param queueTimeout how long a task may wait with no worker taking it before it fails
 * @param retention how long a finished task, its result and its idempotency key stay retrievable
 * @param resultWait how long a synchronous inference call waits for the result (then 504)
 * @param maxPollWait the longest a worker's {@code wait=} long poll may hold
 * @param maxPollBatch the most tasks one poll may take ({@code max=})
 * @param retryAfter what a refused client is told to wait ({@code Retry-After})
 * @param maxBytes the memory budget of the tasks held ({@link Task#footprint()}): finished tasks
 *     leave memory first (for the database file when there is one, else for good), and once none is
 *     left new tasks are refused (429)
 */
public record TaskSettings(
    int queueCapacity,
    int maxAttempts,
    Duration lease,
    Duration maxLease,
    Duration queueTimeout,
    Duration retention,
    Duration resultWait,
    Duration maxPollWait,
    int maxPollBatch,
    Duration retryAfter,
    long maxBytes) {

  public TaskSettings {
    if (queueCapacity < 1 || maxAttempts < 1 || maxPollBatch < 1 || maxBytes < 1) {
      throw new IllegalArgumentException(
          "task queue capacity, attempts, poll batch and memory must be at least 1");
    }
  }

  public static TaskSettings defaults() {
    return new TaskSettings(
        1000,
        3,
        Duration.ofSeconds(60),
        Duration.ofHours(1),
        Duration.ofMinutes(5),
        Duration.ofMinutes(10),
        Duration.ofSeconds(60),
        Duration.ofSeconds(30),
        32,
        Duration.ofSeconds(1),
        64L * 1024 * 1024);
  }
}
