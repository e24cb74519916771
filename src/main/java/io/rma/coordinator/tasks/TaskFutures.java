package io.rma.coordinator.tasks;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The futures of callers waiting for a task to finish, one per task whoever waits: completed with
 * the finished task by {@link #announce}, which the dispatcher calls once the change is durable.
 */
final class TaskFutures {
  private final ReentrantLock lock;
  private final Map<String, CompletableFuture<Task>> finishing = new HashMap<>();

  TaskFutures(ReentrantLock lock) {
    this.lock = lock;
  }

  /** The future of a task still running. Under the lock. */
  CompletableFuture<Task> of(String taskId) {
    return finishing.computeIfAbsent(taskId, id -> new CompletableFuture<>());
  }

  /** Takes away the future of a task that will never finish (its write failed). Under the lock. */
  CompletableFuture<Task> remove(String taskId) {
    return finishing.remove(taskId);
  }

  /** Completes the futures of tasks that finished. Called outside the lock. */
  void announce(List<Task> changed) {
    List<Map.Entry<CompletableFuture<Task>, Task>> due = new ArrayList<>();
    lock.lock();
    try {
      for (Task t : changed) {
        if (t.state().finished()) {
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
