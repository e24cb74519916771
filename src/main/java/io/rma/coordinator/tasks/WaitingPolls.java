package io.rma.coordinator.tasks;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;

/**
 * Long polls parked until a task is handed to them, their worker is turned away, or their time is
 * up: per service, longest waiting first. A parked poll is a virtual thread waiting on a {@link
 * Condition} of the dispatcher's lock, so it holds no platform thread; every method runs under that
 * lock, which is what keeps a hand-over from racing with another poll or with the poll's timeout.
 */
final class WaitingPolls {
  private final ReentrantLock lock;

  /** Waiting polls, by service, longest waiting first. */
  private final Map<String, LinkedHashSet<Waiter>> byService = new HashMap<>();

  private final Set<Waiter> all = new LinkedHashSet<>();

  /** A poll parked until a task is handed to it, its worker is gone, or its time is up. */
  private static final class Waiter {
    final String worker;
    final Collection<String> services;
    final Collection<String> models;
    final Condition signal;
    Task handed;
    boolean kicked;

    Waiter(String worker, Collection<String> services, Collection<String> models, Condition c) {
      this.worker = worker;
      this.services = services;
      this.models = models;
      this.signal = c;
    }
  }

  WaitingPolls(ReentrantLock lock) {
    this.lock = lock;
  }

  /**
   * Parks the calling poll until a task is handed to it (returned), its worker is turned away, the
   * dispatcher closes or {@code wait} runs out (null). Holds the lock, released while parked.
   */
  Task await(
      String worker,
      Collection<String> services,
      Collection<String> models,
      Duration wait,
      BooleanSupplier closed) {
    Waiter w = new Waiter(worker, List.copyOf(services), List.copyOf(models), lock.newCondition());
    park(w);
    try {
      long remaining = wait.toNanos();
      while (w.handed == null && !w.kicked && !closed.getAsBoolean() && remaining > 0) {
        remaining = w.signal.awaitNanos(remaining);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      unpark(w);
    }
    return w.handed;
  }

  /**
   * Hands a queued task to the longest-waiting poll that can take it, if any: {@code leaseTo}
   * leases it to that poll's worker.
   */
  void offer(Task queued, BiFunction<Task, String, Task> leaseTo) {
    LinkedHashSet<Waiter> candidates = byService.get(queued.service());
    if (candidates == null) {
      return;
    }
    for (Waiter w : candidates) {
      if (!w.kicked && w.handed == null && TaskQueue.serves(w.models, queued)) {
        w.handed = leaseTo.apply(queued, w.worker);
        unpark(w);
        w.signal.signal();
        return;
      }
    }
  }

  /** Turns away the waiting polls of these workers, so nothing is handed to them. */
  void turnAway(Set<String> workers) {
    for (Waiter w : List.copyOf(all)) {
      if (!w.services.isEmpty() && workers.contains(w.worker)) {
        w.kicked = true;
        unpark(w);
        w.signal.signal();
      }
    }
  }

  /** Workers with a poll waiting now. */
  Set<String> workers() {
    Set<String> out = new LinkedHashSet<>();
    all.forEach(w -> out.add(w.worker));
    return out;
  }

  int size() {
    return all.size();
  }

  /** Wakes every poll (the dispatcher is closing). */
  void wakeAll() {
    all.forEach(w -> w.signal.signal());
  }

  private void park(Waiter w) {
    all.add(w);
    for (String s : w.services) {
      byService.computeIfAbsent(s, k -> new LinkedHashSet<>()).add(w);
    }
  }

  private void unpark(Waiter w) {
    all.remove(w);
    for (String s : w.services) {
      LinkedHashSet<Waiter> set = byService.get(s);
      if (set != null) {
        set.remove(w);
        if (set.isEmpty()) {
          byService.remove(s);
        }
      }
    }
  }
}
