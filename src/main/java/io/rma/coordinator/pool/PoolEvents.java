package io.rma.coordinator.pool;

import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The latest lifecycle events of the pool (registered, phase changed, drained, pruned,
 * unregistered), in a ring of fixed size: what the dashboard and {@code GET /api/admin/events}
 * show. Memory only, this replica's own view: the logs and, in Kubernetes mode, the API server's
 * Events are the lasting record. Recording is one short lock per event; events are rare next to
 * heartbeats and requests.
 */
public final class PoolEvents {
  /** Events kept by default: a mass event of this many workers still fits whole. */
  public static final int DEFAULT_CAPACITY = 2_000;

  /** What happened. */
  public enum Type {
    REGISTERED,
    PHASE_CHANGED,
    DRAINED,
    UNDRAINED,
    PRUNED,
    UNREGISTERED,
    PRUNING_PAUSED,
    PRUNING_PAUSE_ENDED,
    PRUNING_RESUMED;

    /** The name on the wire: {@code phase_changed}. */
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Type> fromWire(String s) {
      for (Type t : values()) {
        if (t.wire().equals(s)) {
          return Optional.of(t);
        }
      }
      return Optional.empty();
    }
  }

  /**
   * One event.
   *
   * @param seq increasing from 1 in this process: a reader asks for events after the last it saw
   * @param from the phase before, for a phase change (else null)
   * @param to the phase after, for a phase change (else null)
   * @param detail a sentence for people, or null
   */
  public record Event(
      long seq,
      Instant at,
      Type type,
      String worker,
      WorkerPhase from,
      WorkerPhase to,
      String detail) {}

  private final Clock clock;
  private final Event[] ring;
  private long next = 1;

  public PoolEvents(Clock clock) {
    this(clock, DEFAULT_CAPACITY);
  }

  public PoolEvents(Clock clock, int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    this.clock = clock;
    this.ring = new Event[capacity];
  }

  public int capacity() {
    return ring.length;
  }

  public void registered(String worker, String detail) {
    record(Type.REGISTERED, worker, null, null, detail);
  }

  public void phaseChanged(String worker, WorkerPhase from, WorkerPhase to) {
    record(Type.PHASE_CHANGED, worker, from, to, null);
  }

  public void drained(String worker, boolean drain) {
    record(drain ? Type.DRAINED : Type.UNDRAINED, worker, null, null, null);
  }

  public void pruned(String worker, String detail) {
    record(Type.PRUNED, worker, null, null, detail);
  }

  public void unregistered(String worker) {
    record(Type.UNREGISTERED, worker, null, null, null);
  }

  public synchronized Event record(
      Type type, String worker, WorkerPhase from, WorkerPhase to, String detail) {
    Event e = new Event(next, clock.instant(), type, worker, from, to, detail);
    ring[(int) ((next - 1) % ring.length)] = e;
    next++;
    return e;
  }

  /** The sequence number of the latest event, 0 when there is none. */
  public synchronized long latest() {
    return next - 1;
  }

  /** The sequence number of the oldest event still kept (latest + 1 when there is none). */
  public synchronized long oldest() {
    return Math.max(1, next - ring.length);
  }

  /**
   * Up to {@code limit} events newer than {@code after} that {@code filter} accepts, newest first.
   */
  public synchronized List<Event> newest(
      int limit, long after, java.util.function.Predicate<Event> filter) {
    List<Event> out = new ArrayList<>(Math.min(limit, ring.length));
    for (long seq = next - 1; seq >= oldest() && seq > after && out.size() < limit; seq--) {
      Event e = ring[(int) ((seq - 1) % ring.length)];
      if (filter.test(e)) {
        out.add(e);
      }
    }
    return out;
  }
}
