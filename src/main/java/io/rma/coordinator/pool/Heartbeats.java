package io.rma.coordinator.pool;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * The last heartbeat of each worker, in memory. A heartbeat is one map write: it never touches the
 * store; the health loop writes phase changes and, at a slow keepalive, load and last-seen.
 */
public final class Heartbeats {
  /** One heartbeat as received; {@code at} is the coordinator's clock at receipt. */
  public record Beat(Instant at, boolean degraded, Double load, String availableMemory) {}

  private final ConcurrentHashMap<String, Beat> beats = new ConcurrentHashMap<>();
  private final AtomicLong version = new AtomicLong();
  private volatile BiConsumer<String, Beat> listener = (worker, beat) -> {};

  public void record(String worker, Beat beat) {
    beats.put(worker, beat);
    version.incrementAndGet();
    listener.accept(worker, beat);
  }

  /**
   * Goes up with every recorded or forgotten beat: views computed at the same version still hold.
   */
  public long version() {
    return version.get();
  }

  /**
   * Called after each recorded beat, on the thread that recorded it; must be quick. Kubernetes mode
   * uses it to wake the reconciler when a beat changes a worker's phase.
   */
  public void onRecord(BiConsumer<String, Beat> listener) {
    this.listener = listener;
  }

  public Optional<Beat> last(String worker) {
    return Optional.ofNullable(beats.get(worker));
  }

  /** The last beat, or null: for loops over the whole pool. */
  Beat lastOrNull(String worker) {
    return beats.get(worker);
  }

  public void forget(String worker) {
    beats.remove(worker);
    version.incrementAndGet();
  }

  public int size() {
    return beats.size();
  }
}
