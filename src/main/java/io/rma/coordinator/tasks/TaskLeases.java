package io.rma.coordinator.tasks;

import com.fasterxml.jackson.databind.JsonNode;
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

  TaskLeases(
      TaskSettings settings,
      ReentrantLock lock,
      TaskQueue queue,
      TaskJournal journal,
      WaitingPolls polls,
      TaskFutures futures,
      CompletionTally tally) {
    this.settings = settings;
    this.lock = lock;
    this.queue = queue;
    this.journal = journal;
    this.polls = polls;
    this.futures = futures;
    this.tally = tally;
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
    Task done;
    CompletableFuture<Void> durable;
    lock.lock();
    try {
      done = queue.complete(taskId, worker, attempt, result, statusCode, size);
      durable = journal.save(done);
    } finally {
      lock.unlock();
    }
    TaskJournal.await(durable);
    tally.record(worker);
    futures.announce(List.of(done));
    return done;
  }

  Task fail(String taskId, String worker, Integer attempt, String error, boolean retryable) {
    Task next;
    CompletableFuture<Void> durable;
    lock.lock();
    try {
      next = queue.fail(taskId, worker, attempt, error, retryable);
      durable = journal.save(next);
      if (next.state() == TaskState.QUEUED) {
        offer(next);
      }
    } finally {
      lock.unlock();
    }
    TaskJournal.await(durable);
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
    Task next;
    CompletableFuture<Void> durable;
    lock.lock();
    try {
      next = queue.extend(taskId, worker, attempt, by);
      durable = journal.save(next);
    } finally {
      lock.unlock();
    }
    TaskJournal.await(durable);
    return next;
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
