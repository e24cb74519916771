package io.rma.coordinator.tasks;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How long finished tasks stay: {@code retention}, within a memory budget. Finished tasks are kept
 * in the order they finished; past their retention they are forgotten (in memory and in the file).
 * When the tasks held take more than the budget, the oldest finished leave memory early: with a
 * database file they stay there until their retention ({@link #mayBeOnDisk} tells the dispatcher to
 * look), without one they are gone, which is counted and logged. Not thread-safe (the dispatcher's
 * lock).
 */
final class Retention {
  private static final Logger LOG = System.getLogger(Retention.class.getName());
  private static final Duration LOG_EVERY = Duration.ofMinutes(1);
  private static final Duration PURGE_EVERY = Duration.ofSeconds(10);

  private final TaskSettings settings;
  private final HeldTasks tasks;
  private final boolean file;
  private final TaskEvents events;

  /** Finished task ids, in the order they finished: retention drops from the head. */
  private final ArrayDeque<String> finished = new ArrayDeque<>();

  /** Ids to forget in the file too. */
  private final List<String> forgotten = new ArrayList<>();

  /**
   * The latest finish among tasks that left memory but not the file; null when none may be left.
   */
  private Instant evictedUntil;

  private Instant lastPurge = Instant.MIN;
  private long earlySinceLog;
  private long lastLog = System.nanoTime() - LOG_EVERY.toNanos();

  /**
   * @param file whether a database file keeps what memory lets go
   */
  Retention(TaskSettings settings, HeldTasks tasks, boolean file, TaskEvents events) {
    this.settings = settings;
    this.tasks = tasks;
    this.file = file;
    this.events = events;
  }

  void finished(Task done) {
    finished.addLast(done.id());
  }

  /** A finish undone (its write failed): the task is no longer among the finished ones. */
  void unfinish(String id) {
    finished.removeLastOccurrence(id);
  }

  /** Lets the oldest finished task leave memory to make room; false when none is left. */
  boolean makeRoom(Instant now) {
    while (!finished.isEmpty()) {
      Task t = tasks.get(finished.pollFirst());
      if (t != null) {
        evict(t, now);
        return true;
      }
    }
    return false;
  }

  /** Ids the file should forget too, since the last call. */
  List<String> drainForgotten() {
    List<String> out = List.copyOf(forgotten);
    forgotten.clear();
    return out;
  }

  /**
   * Forgets finished tasks past their retention and lets finished tasks leave memory while the
   * tasks held take more than the budget; returns the ids the file should forget.
   */
  List<String> sweep(Instant now) {
    while (!finished.isEmpty()) {
      Task t = tasks.get(finished.peekFirst());
      if (t == null) {
        finished.pollFirst();
        continue;
      }
      if (!expired(t, now) && tasks.bytes() <= settings.maxBytes()) {
        break;
      }
      finished.pollFirst();
      evict(t, now);
    }
    return drainForgotten();
  }

  /**
   * The cutoff to forget tasks in the file that left memory early, when that is due (about every
   * ten seconds while some may be left); null otherwise.
   */
  Instant purgeDue(Instant now) {
    if (evictedUntil == null || Duration.between(lastPurge, now).compareTo(PURGE_EVERY) < 0) {
      return null;
    }
    lastPurge = now;
    Instant cutoff = now.minus(settings.retention());
    if (!evictedUntil.isAfter(cutoff)) {
      evictedUntil = null; // this purge takes the last of them
    }
    return cutoff;
  }

  /**
   * Whether a finished task that memory no longer holds may still be in the file within its
   * retention: only then is a lookup that misses memory worth a read of the file.
   */
  boolean mayBeOnDisk(Instant now) {
    return evictedUntil != null && evictedUntil.plus(settings.retention()).isAfter(now);
  }

  /**
   * Finished tasks read back from the database file, newest first as far as the budget went.
   *
   * @param moreUntil the latest finish of those the file holds but memory does not, or null
   */
  void restore(List<Task> done, Instant moreUntil) {
    List<Task> sorted = new ArrayList<>(done);
    sorted.sort(Comparator.comparing(Task::finishedAt).thenComparing(Task::seq));
    sorted.forEach(t -> finished.addLast(t.id()));
    if (moreUntil != null) {
      evictedUntil = moreUntil;
    }
  }

  private boolean expired(Task t, Instant now) {
    return !t.finishedAt().plus(settings.retention()).isAfter(now);
  }

  private void evict(Task t, Instant now) {
    tasks.remove(t.id());
    if (expired(t, now)) {
      forgotten.add(t.id());
    } else if (file) {
      if (evictedUntil == null || t.finishedAt().isAfter(evictedUntil)) {
        evictedUntil = t.finishedAt();
      }
      events.evicted(1, true);
    } else {
      forgotten.add(t.id());
      events.evicted(1, false);
      early(t, now);
    }
  }

  /** Logs, at most once a minute, how many finished tasks were forgotten before their time. */
  private void early(Task t, Instant now) {
    earlySinceLog++;
    long at = System.nanoTime();
    if (at - lastLog < LOG_EVERY.toNanos()) {
      return;
    }
    LOG.log(
        Level.WARNING,
        earlySinceLog
            + " finished task(s) and their idempotency keys forgotten before RMA_TASK_RETENTION ("
            + settings.retention()
            + ") to stay within RMA_TASK_MEMORY_MIB ("
            + settings.maxBytes() / (1024 * 1024)
            + " MiB); the latest had finished "
            + Duration.between(t.finishedAt(), now).toSeconds()
            + "s before. Raise RMA_TASK_MEMORY_MIB, or set DATABASE_PATH to keep them on disk");
    earlySinceLog = 0;
    lastLog = at;
  }
}
