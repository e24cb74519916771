package io.rma.coordinator.tasks;

import io.rma.coordinator.pool.StoreException;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Finished tasks that memory let go before their retention (the memory budget) but the database
 * file still holds: a lookup by id or idempotency key that misses memory reads the file, and only
 * while some may be there ({@link TaskQueue#mayBeOnDisk}), so the common miss costs nothing. The
 * read goes through the journal after everything queued before it, so it never misses a change on
 * its way to the file.
 */
final class FinishedOnDisk {
  private final ReentrantLock lock;
  private final TaskQueue queue;
  private final TaskJournal journal;
  private final TaskSettings settings;
  private final Clock clock;

  FinishedOnDisk(
      ReentrantLock lock,
      TaskQueue queue,
      TaskJournal journal,
      TaskSettings settings,
      Clock clock) {
    this.lock = lock;
    this.queue = queue;
    this.journal = journal;
    this.settings = settings;
    this.clock = clock;
  }

  /** The finished task with this id, when memory no longer holds it but the file does. */
  Optional<Task> byId(String id) {
    return find(id, null);
  }

  /** The finished task with this idempotency key, when only the file holds it. */
  Optional<Task> byKey(String key) {
    return find(null, key);
  }

  private Optional<Task> find(String id, String key) {
    if (!journal.durable()) {
      return Optional.empty();
    }
    lock.lock();
    try {
      boolean held = id != null ? queue.get(id).isPresent() : queue.byKey(key).isPresent();
      if (held || !queue.mayBeOnDisk()) {
        return Optional.empty();
      }
    } finally {
      lock.unlock();
    }
    try {
      return journal
          .find(id, key)
          .join()
          .filter(
              t ->
                  t.state().finished()
                      && t.finishedAt().plus(settings.retention()).isAfter(clock.instant()));
    } catch (CompletionException e) {
      throw e.getCause() instanceof StoreException s
          ? s
          : new StoreException("cannot read tasks: " + e.getMessage(), e);
    }
  }
}
