package io.rma.coordinator.kubernetes;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Per-worker turns for the writers inside one process (the web tier's saves and deletes, the
 * reconciler's decide-and-write): one reentrant lock per worker name, held only while someone uses
 * it, so memory follows the writes under way, not the pool.
 */
final class WorkerTurns {
  private static final class Turn {
    final ReentrantLock lock = new ReentrantLock();
    int users;
  }

  private final ConcurrentHashMap<String, Turn> turns = new ConcurrentHashMap<>();

  <T> T exclusively(String name, Supplier<T> work) {
    Turn turn = enter(name);
    turn.lock.lock();
    try {
      return work.get();
    } finally {
      turn.lock.unlock();
      leave(name);
    }
  }

  /** Empty, at once, while another thread holds {@code name}. */
  <T> Optional<T> tryExclusively(String name, Supplier<T> work) {
    Turn turn = enter(name);
    try {
      if (!turn.lock.tryLock()) {
        return Optional.empty();
      }
      try {
        return Optional.of(work.get());
      } finally {
        turn.lock.unlock();
      }
    } finally {
      leave(name);
    }
  }

  /** Names with a writer or a waiter now (tests). */
  int held() {
    return turns.size();
  }

  private Turn enter(String name) {
    return turns.compute(
        name,
        (k, t) -> {
          Turn turn = t == null ? new Turn() : t;
          turn.users++;
          return turn;
        });
  }

  private void leave(String name) {
    turns.computeIfPresent(name, (k, t) -> --t.users == 0 ? null : t);
  }
}
