package io.rma.coordinator.tasks;

import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Every task held in memory by id, the idempotency keys that name them, and the memory they take
 * (the sum of {@link Task#footprint()}). Not thread-safe (the dispatcher's lock).
 */
final class HeldTasks {
  private final Map<String, Task> tasks = new HashMap<>();
  private final Map<String, String> byKey = new HashMap<>();
  private long bytes;

  Task get(String id) {
    return tasks.get(id);
  }

  Optional<Task> byKey(String key) {
    String id = byKey.get(key);
    return id == null ? Optional.empty() : Optional.ofNullable(tasks.get(id));
  }

  /** Adds a task, or replaces the snapshot of one held. */
  void put(Task t) {
    Task before = tasks.put(t.id(), t);
    bytes += t.footprint() - (before == null ? 0 : before.footprint());
    if (t.idempotencyKey() != null) {
      byKey.put(t.idempotencyKey(), t.id());
    }
  }

  /** Forgets a task and its key; null when it was not held. */
  Task remove(String id) {
    Task gone = tasks.remove(id);
    if (gone != null) {
      bytes -= gone.footprint();
      if (gone.idempotencyKey() != null && id.equals(byKey.get(gone.idempotencyKey()))) {
        byKey.remove(gone.idempotencyKey());
      }
    }
    return gone;
  }

  /** Memory the held tasks take, about. */
  long bytes() {
    return bytes;
  }

  Collection<Task> all() {
    return tasks.values();
  }

  /** Tasks held now, by state. */
  Map<TaskState, Integer> counts() {
    Map<TaskState, Integer> counts = new EnumMap<>(TaskState.class);
    for (TaskState s : TaskState.values()) {
      counts.put(s, 0);
    }
    tasks.values().forEach(t -> counts.merge(t.state(), 1, Integer::sum));
    return counts;
  }
}
