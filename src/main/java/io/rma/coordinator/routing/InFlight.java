package io.rma.coordinator.routing;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Requests this coordinator has open to each worker. */
public final class InFlight {
  /** Counters are kept while they are at 0 (no map write per request), up to this many workers. */
  private static final int MAX_WORKERS = 4096;

  private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();

  public int count(String worker) {
    AtomicInteger n = open.get(worker);
    return n == null ? 0 : n.get();
  }

  /** Counts one request to {@code worker} until the returned lease is closed. */
  public Lease start(String worker) {
    AtomicInteger n = open.get(worker);
    if (n == null) {
      if (open.size() > MAX_WORKERS) {
        // Workers come and go: forget the idle ones now and then. A request that raced with this
        // counts on a forgotten counter, which only makes its worker look less busy for a moment.
        open.values().removeIf(c -> c.get() == 0);
      }
      n = open.computeIfAbsent(worker, k -> new AtomicInteger());
    }
    n.incrementAndGet();
    return new Lease(n);
  }

  /** One open request; closing it twice counts once. */
  public static final class Lease implements AutoCloseable {
    private final AtomicInteger count;
    private boolean closed;

    private Lease(AtomicInteger count) {
      this.count = count;
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      count.decrementAndGet();
    }
  }
}
