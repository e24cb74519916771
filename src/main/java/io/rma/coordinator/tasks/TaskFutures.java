package io.rma.coordinator.tasks;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What callers waiting for or reading a task's outcome see: an outcome only once it is durable. The
 * futures of waiting callers, one per task whoever waits, are completed by {@link #announce}, which
 * the dispatcher calls once the change is on disk. Until then a task that finished in memory is
 * shown as it was before ({@link #hide}): should the write fail, the change is undone and no client
 * has seen a result the file does not hold.
 */
final class TaskFutures {
  private final ReentrantLock lock;
  private final TaskEvents events;
  private final Map<String, CompletableFuture<Task>> finishing = new HashMap<>();

  /** Tasks whose finish is not yet durable, as they were before it. */
  private final Map<String, Task> unconfirmed = new HashMap<>();

  TaskFutures(ReentrantLock lock, TaskEvents events) {
    this.lock = lock;
    this.events = events;
  }

  /** The future of a task still running. Under the lock. */
  CompletableFuture<Task> of(String taskId) {
    return finishing.computeIfAbsent(taskId, id -> new CompletableFuture<>());
  }

  /** Takes away the future of a task that will never finish (its write failed). Under the lock. */
  CompletableFuture<Task> remove(String taskId) {
    return finishing.remove(taskId);
  }

  /** Shows {@code before} in place of a finish that is not yet durable. Under the lock. */
  void hide(Task finished, Task before) {
    if (finished.state().finished() && before != null) {
      unconfirmed.put(finished.id(), before);
    }
  }

  /** The finish of this task will never be durable: it was undone. Under the lock. */
  void unhide(String taskId) {
    unconfirmed.remove(taskId);
  }

  /** The task as callers may see it: as it was before a finish not yet durable. Under the lock. */
  Task visible(Task t) {
    Task before = t == null ? null : unconfirmed.get(t.id());
    return before == null ? t : before;
  }

  /** Completes the futures of tasks that finished, now durable. Called outside the lock. */
  void announce(List<Task> changed) {
    List<Map.Entry<CompletableFuture<Task>, Task>> due = new ArrayList<>();
    lock.lock();
    try {
      for (Task t : changed) {
        unconfirmed.remove(t.id());
        if (t.state().finished()) {
          events.finished(t);
          CompletableFuture<Task> f = finishing.remove(t.id());
          if (f != null) {
            due.add(Map.entry(f, t));
          }
        }
      }
    } finally {
      lock.unlock();
    }
    due.forEach(e -> e.getKey().complete(e.getValue()));
  }
}
