package io.rma.coordinator.tasks;

import io.rma.coordinator.pool.CompletedTasks;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Accepted results per worker that the health loop has not yet written to {@code
 * status.tasksCompleted}. A result costs one counter increment here; the loop writes the sum on its
 * next pass. A crash loses at most the counts of one loop interval, never a result.
 */
public final class CompletionTally implements CompletedTasks {
  private final ConcurrentHashMap<String, AtomicLong> counts = new ConcurrentHashMap<>();

  void record(String worker) {
    // compute, not computeIfAbsent + increment: written() may drop the entry at the same moment.
    counts.compute(
        worker,
        (w, n) -> {
          AtomicLong next = n == null ? new AtomicLong() : n;
          next.incrementAndGet();
          return next;
        });
  }

  @Override
  public long unwritten(String worker) {
    AtomicLong n = counts.get(worker);
    return n == null ? 0 : n.get();
  }

  @Override
  public void written(String worker, long count) {
    if (count > 0) {
      counts.computeIfPresent(worker, (w, n) -> n.addAndGet(-count) == 0 ? null : n);
    }
  }

  @Override
  public void forget(String worker) {
    counts.remove(worker);
  }

  /** Drops the counts of workers that are no longer registered. */
  void retain(Set<String> workers) {
    counts.keySet().retainAll(workers);
  }
}
