package io.rma.coordinator.routing;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Requests this coordinator has open to each worker. */
public final class InFlight {
  private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();

  public int count(String worker) {
    AtomicInteger n = open.get(worker);
    return n == null ? 0 : n.get();
  }

  /** Counts one request to {@code worker} until the returned lease is closed. */
  public Lease start(String worker) {
    open.compute(
        worker,
        (k, n) -> {
          if (n == null) {
            return new AtomicInteger(1);
          }
          n.incrementAndGet();
          return n;
        });
    return new Lease(worker);
  }

  /** One open request; closing it twice counts once. */
  public final class Lease implements AutoCloseable {
    private final String worker;
    private boolean closed;

    private Lease(String worker) {
      this.worker = worker;
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      open.computeIfPresent(worker, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }
  }
}
