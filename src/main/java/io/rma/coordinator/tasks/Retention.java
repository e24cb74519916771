package io.rma.coordinator.tasks;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How long finished tasks stay: in the order they finished, forgotten from the oldest once past the
 * retention, past the count cap, or to make room in memory. Forgotten ids are reported so the
 * journal forgets them too. Not thread-safe (the dispatcher's lock).
 */
final class Retention {
  private final TaskSettings settings;
  private final HeldTasks tasks;

  /** Finished task ids, in the order they finished: retention drops from the head. */
  private final ArrayDeque<String> finished = new ArrayDeque<>();

  private final List<String> forgotten = new ArrayList<>();

  Retention(TaskSettings settings, HeldTasks tasks) {
    this.settings = settings;
    this.tasks = tasks;
  }

  void finished(Task done) {
    finished.addLast(done.id());
  }

  /** A finish undone (its write failed): the task is no longer among the finished ones. */
  void unfinish(String id) {
    finished.removeLastOccurrence(id);
  }

  /**
   * Forgets the oldest finished task to make room; false when none is left. The id is reported by
   * the next {@link #sweep} (or {@link #drainForgotten}) so the file forgets it too.
   */
  boolean makeRoom() {
    while (!finished.isEmpty()) {
      Task t = tasks.remove(finished.pollFirst());
      if (t != null) {
        forgotten.add(t.id());
        return true;
      }
    }
    return false;
  }

  /** Ids forgotten to make room since the last call, for the journal. */
  List<String> drainForgotten() {
    List<String> out = List.copyOf(forgotten);
    forgotten.clear();
    return out;
  }

  /**
   * Forgets finished tasks past their retention, past the count cap or while memory is over the
   * limit; returns them with those forgotten to make room since the last call.
   */
  List<String> sweep(Instant now) {
    List<String> removed = new ArrayList<>(forgotten);
    forgotten.clear();
    while (!finished.isEmpty()) {
      Task t = tasks.get(finished.peekFirst());
      if (t == null) {
        finished.pollFirst();
        continue;
      }
      boolean expired = !t.finishedAt().plus(settings.retention()).isAfter(now);
      if (!expired
          && finished.size() <= settings.retainMax()
          && tasks.bytes() <= settings.maxBytes()) {
        break;
      }
      finished.pollFirst();
      tasks.remove(t.id());
      removed.add(t.id());
    }
    return removed;
  }

  /** Finished tasks read back from the database file, in the order they finished. */
  void restore(List<Task> done) {
    List<Task> sorted = new ArrayList<>(done);
    sorted.sort(Comparator.comparing(Task::finishedAt).thenComparing(Task::seq));
    sorted.forEach(t -> finished.addLast(t.id()));
  }
}
