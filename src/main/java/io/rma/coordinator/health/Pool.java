package io.rma.coordinator.health;

import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.store.WorkerStore;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The live view of the pool that the admin API and routing read: stored workers, their last
 * heartbeats from memory, and the phase the policy gives them now. Reads only; the loop writes.
 */
public final class Pool {
  private final WorkerStore store;
  private final Heartbeats heartbeats;
  private final PhasePolicy phases;
  private final Clock clock;
  private volatile Instant startedAt;

  public Pool(WorkerStore store, Heartbeats heartbeats, PhasePolicy phases, Clock clock) {
    this.store = store;
    this.heartbeats = heartbeats;
    this.phases = phases;
    this.clock = clock;
    this.startedAt = clock.instant();
  }

  /** When this coordinator took charge of the pool: the restart grace counts from here. */
  public Instant startedAt() {
    return startedAt;
  }

  /** Starts the grace period again (after a leadership takeover). */
  public void restartGrace() {
    startedAt = clock.instant();
  }

  public WorkerStore store() {
    return store;
  }

  public Heartbeats heartbeats() {
    return heartbeats;
  }

  public Clock clock() {
    return clock;
  }

  public List<WorkerView> workers() {
    Instant now = clock.instant();
    return store.list().stream().map(w -> view(w, now)).toList();
  }

  public Optional<WorkerView> worker(String name) {
    return store.get(name).map(w -> view(w, clock.instant()));
  }

  /** What the phase policy needs to know of a stored worker. */
  public PhasePolicy.Member member(RMAWorker w) {
    RMAWorkerStatus s = w.getStatus();
    Optional<Heartbeats.Beat> beat = heartbeats.last(w.getMetadata().getName());
    return new PhasePolicy.Member(
        w.getMetadata().getName(),
        lastSeen(w, beat.orElse(null)),
        beat.map(Heartbeats.Beat::degraded)
            .orElse(s != null && s.getPhase() == WorkerPhase.Degraded),
        w.getSpec() != null && w.getSpec().draining(),
        s == null ? null : s.getPhase());
  }

  private WorkerView view(RMAWorker w, Instant now) {
    Heartbeats.Beat beat = heartbeats.last(w.getMetadata().getName()).orElse(null);
    PhasePolicy.Member m = member(w);
    RMAWorkerStatus s = w.getStatus();
    return new WorkerView(
        w,
        phases.phase(m, now, startedAt),
        m.lastSeen(),
        beat != null ? beat.load() : s == null ? null : s.getLoad(),
        beat != null ? beat.availableMemory() : s == null ? null : s.getAvailableMemory(),
        WorkerStatusPolicy.servicesOf(w.getSpec(), s));
  }

  /**
   * The latest sign of life: a heartbeat held in memory, else the last heartbeat the store
   * recorded, else registration.
   */
  static Instant lastSeen(RMAWorker w, Heartbeats.Beat beat) {
    Instant seen = Instant.EPOCH;
    RMAWorkerStatus s = w.getStatus();
    if (s != null) {
      seen = later(seen, s.getLastHeartbeat());
      seen = later(seen, s.getRegisteredAt());
    }
    if (seen.equals(Instant.EPOCH)) {
      seen = later(seen, w.getMetadata().getCreationTimestamp());
    }
    if (beat != null && beat.at().isAfter(seen)) {
      seen = beat.at();
    }
    return seen;
  }

  private static Instant later(Instant a, String b) {
    if (b == null) {
      return a;
    }
    try {
      Instant t = Instant.parse(b);
      return t.isAfter(a) ? t : a;
    } catch (java.time.format.DateTimeParseException e) {
      return a;
    }
  }
}
