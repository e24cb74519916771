package io.rma.coordinator.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.pool.StoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The worker's side of the dispatcher: polls that lease tasks (or wait to be handed one), and the
 * lease holder's answers (result, error, extension). Shares the dispatcher's lock and queue; see
 * {@link PullDispatcher} for the contract of each call.
 */
final class TaskLeases {
  private final TaskSettings settings;
  private final ReentrantLock lock;
  private final TaskQueue queue;
  private final TaskJournal journal;
  private final WaitingPolls polls;
  private final TaskFutures futures;
  private final CompletionTally tally;
  private final FinishedOnDisk onDisk;

  TaskLeases(
      TaskSettings settings,
      ReentrantLock lock,
      TaskQueue queue,
      TaskJournal journal,
      WaitingPolls polls,
      TaskFutures futures,
      CompletionTally tally,
      FinishedOnDisk onDisk) {
    this.settings = settings;
    this.lock = lock;
    this.queue = queue;
    this.journal = journal;
    this.polls = polls;
    this.futures = futures;
    this.tally = tally;
    this.onDisk = onDisk;
  }

  List<Task> poll(
      String worker,
      Collection<String> services,
      Collection<String> models,
      int max,
      Duration wait,
      BooleanSupplier closed) {
    if (max < 1) {
      throw new IllegalArgumentException("a poll takes at least one task");
    }
    List<Task> got = new ArrayList<>();
    lock.lock();
    try {
      got.addAll(queue.lease(worker, services, models, max));
      if (got.isEmpty() && !wait.isZero() && !wait.isNegative() && !closed.getAsBoolean()) {
        Task handed = polls.await(worker, services, models, wait, closed);
        if (handed != null) {
          // offer() journaled the hand-over; the rest are leased here.
          if (max > 1) {
            got.addAll(queue.lease(worker, services, models, max - 1));
          }
          got.forEach(journal::save);
          got.addFirst(handed);
          return got;
        }
      }
      got.forEach(journal::save);
    } finally {
      lock.unlock();
    }
    return got;
  }

  Task complete(String taskId, String worker, Integer attempt, JsonNode result, int statusCode) {
    long size = TaskRequests.sizeOf(result);
    Task before;
    Task done;
    CompletableFuture<Void> durable;
    finishedOnDisk(taskId);
    lock.lock();
    try {
      before = queue.get(taskId).orElse(null);
      done = queue.complete(taskId, worker, attempt, result, statusCode, size);
      futures.hide(done, before);
      durable = journal.save(done);
    } finally {
      lock.unlock();
    }
    awaitOrUndo(durable, done, before);
    tally.record(worker);
    futures.announce(List.of(done));
    return done;
  }

  Task fail(String taskId, String worker, Integer attempt, String error, boolean retryable) {
    Task before;
    Task next;
    CompletableFuture<Void> durable;
    finishedOnDisk(taskId);
    lock.lock();
    try {
      before = queue.get(taskId).orElse(null);
      next = queue.fail(taskId, worker, attempt, error, retryable);
      futures.hide(next, before);
      durable = journal.save(next);
      if (next.state() == TaskState.QUEUED) {
        offer(next);
      }
    } finally {
      lock.unlock();
    }
    awaitOrUndo(durable, next, before);
    futures.announce(List.of(next));
    return next;
  }

  Task extend(String taskId, String worker, Integer attempt, Duration by) {
    if (by.isNegative() || by.isZero() || by.compareTo(settings.maxLease()) > 0) {
      throw new IllegalArgumentException(
          "a lease extension must be more than 0s and at most "
              + settings.maxLease().toSeconds()
              + "s");
    }
    Task before;
    Task next;
    CompletableFuture<Void> durable;
    finishedOnDisk(taskId);
    lock.lock();
    try {
      before = queue.get(taskId).orElse(null);
      next = queue.extend(taskId, worker, attempt, by);
      durable = journal.save(next);
    } finally {
      lock.unlock();
    }
    awaitOrUndo(durable, next, before);
    return next;
  }

  /**
   * Waits for the lease holder's answer to be on disk; when it cannot be written, the task is put
   * back as it was (unless something changed it since: a requeued task another poll took), so the
   * worker, told 503, can send the same answer again.
   */
  private void awaitOrUndo(CompletableFuture<Void> durable, Task changed, Task before) {
    try {
      TaskJournal.await(durable);
    } catch (StoreException e) {
      lock.lock();
      try {
        futures.unhide(changed.id());
        queue.revert(changed, before);
      } finally {
        lock.unlock();
      }
      throw e;
    }
  }

  void release(String worker, Collection<Task> leased) {
    if (leased.isEmpty()) {
      return;
    }
    lock.lock();
    try {
      for (Task t : queue.release(worker, leased)) {
        journal.save(t);
        offer(t);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * An answer for a task memory let go but the file keeps: it is finished, so the answer changes
   * nothing (409, as for a finished task in memory), not an unknown task (404).
   */
  private void finishedOnDisk(String taskId) {
    onDisk
        .byId(taskId)
        .ifPresent(
            t -> {
              throw TaskRejection.finished(t);
            });
  }

  /** Hands a queued task to the longest-waiting poll that can take it, if any. Under the lock. */
  void offer(Task queued) {
    polls.offer(
        queued,
        (task, worker) -> {
          Task leased = queue.leaseOne(task, worker);
          journal.save(leased);
          return leased;
        });
  }
}
