package io.rma.coordinator.tasks;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The queued tasks of each service, in submission order: a task put back in the queue keeps its
 * place. Holds ids only; {@link HeldTasks} holds the tasks. Not thread-safe (the dispatcher's
 * lock).
 */
final class ServiceQueues {
  /** Per service, queued task ids by submission order. */
  private final Map<String, TreeMap<Long, String>> queues = new HashMap<>();

  void add(Task t) {
    queues.computeIfAbsent(t.service(), s -> new TreeMap<>()).put(t.seq(), t.id());
  }

  void remove(Task t) {
    TreeMap<Long, String> queue = queues.get(t.service());
    if (queue != null) {
      queue.remove(t.seq());
    }
  }

  int size(String service) {
    TreeMap<Long, String> q = queues.get(service);
    return q == null ? 0 : q.size();
  }

  /**
   * The oldest queued task of {@code services} that a worker serving {@code models} may take, or
   * null.
   *
   * @param models the models the worker serves; empty = any
   */
  Task oldest(Collection<String> services, Collection<String> models, HeldTasks tasks) {
    Task best = null;
    for (String service : services) {
      TreeMap<Long, String> queue = queues.get(service);
      if (queue == null) {
        continue;
      }
      for (String id : queue.values()) {
        Task t = tasks.get(id);
        if (TaskQueue.serves(models, t)) {
          if (best == null || t.seq() < best.seq()) {
            best = t;
          }
          break;
        }
        if (best != null && t.seq() > best.seq()) {
          break;
        }
      }
    }
    return best;
  }

  /** Queued tasks that entered the queue no later than {@code cutoff}. */
  List<Task> waitingSince(Instant cutoff, HeldTasks tasks) {
    List<Task> expired = new ArrayList<>();
    for (TreeMap<Long, String> queue : queues.values()) {
      // Submission order is creation order, and a task entered the queue no earlier than it was
      // created: past the first task created after the cutoff, none can have waited too long.
      // The scan stays short however long the queue is (it runs under the dispatcher's lock).
      for (String id : queue.values()) {
        Task t = tasks.get(id);
        if (t.createdAt().isAfter(cutoff)) {
          break;
        }
        if (!t.queuedAt().isAfter(cutoff)) {
          expired.add(t);
        }
      }
    }
    return expired;
  }

  /** Queued tasks per service (services with none left out). */
  Map<String, Integer> sizes() {
    Map<String, Integer> out = new TreeMap<>();
    queues.forEach(
        (s, q) -> {
          if (!q.isEmpty()) {
            out.put(s, q.size());
          }
        });
    return out;
  }
}
