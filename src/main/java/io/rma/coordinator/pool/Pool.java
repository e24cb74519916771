package io.rma.coordinator.pool;

import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live view of the pool that the admin API and routing read: stored workers, their last
 * heartbeats from memory, and the phase the policy gives them now. Reads only; the loop writes.
 */
public final class Pool {
  private static final int MAX_REMEMBERED = 10_000;

  private final WorkerStore store;
  private final Heartbeats heartbeats;
  private final PhasePolicy phases;
  private final Clock clock;
  private volatile Instant startedAt;
  private final ConcurrentHashMap<String, StoredSeen> storedSeen = new ConcurrentHashMap<>();
  private final PoolEvents events;

  /** How long computed views may be handed out again when nothing else changed. */
  private static final Duration VIEW_REUSE = Duration.ofMillis(250);

  private volatile Views views;

  public Pool(WorkerStore store, Heartbeats heartbeats, PhasePolicy phases, Clock clock) {
    this.store = store;
    this.heartbeats = heartbeats;
    this.phases = phases;
    this.clock = clock;
    this.startedAt = clock.instant();
    this.events = new PoolEvents(clock);
  }

  /** The latest lifecycle events, fed where they happen (registration, admin, loop, reconciler). */
  public PoolEvents events() {
    return events;
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

  /**
   * Every worker as it stands now. Routing reads this on every request, so the views are kept and
   * handed out again while nothing they depend on has changed: the store's version (or, for a store
   * that has none, the same stored worker objects: the stores replace an object when they change a
   * worker), no heartbeat recorded or forgotten since, the same restart-grace start, and less than
   * {@link #VIEW_REUSE} of clock time (phases follow the clock; a clock moved back recomputes).
   * Computing them cost about 0.1 µs per worker per request, which a pool of hundreds of workers
   * would pay on every routed request.
   */
  public List<WorkerView> workers() {
    return views().views();
  }

  /**
   * The workers that run {@code service} (assigned or declared), as {@link #workers()} sees them:
   * routing's candidates, without a pass over the whole pool per request.
   */
  public List<WorkerView> workersRunning(String service) {
    Views v = views();
    return v.byService()
        .computeIfAbsent(
            service, s -> v.views().stream().filter(w -> w.services().contains(s)).toList());
  }

  private Views views() {
    Instant now = clock.instant();
    long beats = heartbeats.version();
    Instant started = startedAt;
    long version = store.version();
    Views kept = views;
    boolean sameWindow =
        kept != null
            && kept.started() == started
            && !now.isBefore(kept.at())
            && now.isBefore(kept.at().plus(VIEW_REUSE));
    boolean fresh = sameWindow && kept.beats() == beats;
    if (fresh && version >= 0 && kept.storeVersion() == version) {
      return kept;
    }
    List<RMAWorker> stored = store.list();
    boolean sameStored = sameWindow && sameObjects(kept.stored(), stored);
    if (fresh && sameStored) {
      // Nothing that matters changed (e.g. an informer event for an object already seen).
      Views same =
          new Views(
              kept.stored(),
              version,
              beats,
              started,
              kept.at(),
              kept.views(),
              kept.beatsSeen(),
              kept.byService());
      views = same;
      return same;
    }
    List<WorkerView> computed = new ArrayList<>(stored.size());
    List<Heartbeats.Beat> seen = new ArrayList<>(stored.size());
    for (int i = 0; i < stored.size(); i++) {
      RMAWorker w = stored.get(i);
      Heartbeats.Beat beat = heartbeats.lastOrNull(w.getMetadata().getName());
      // Only heartbeats came in since (same stored workers, same window): a worker whose last beat
      // is the one its view was made from keeps that view. With a large pool beating steadily,
      // each beat then costs one view, not the whole pool's.
      boolean keep = sameStored && beat == kept.beatsSeen().get(i);
      computed.add(keep ? kept.views().get(i) : view(w, beat, now));
      seen.add(beat);
    }
    Views made =
        new Views(
            stored,
            version,
            beats,
            started,
            sameStored ? kept.at() : now,
            List.copyOf(computed),
            java.util.Collections.unmodifiableList(seen),
            new ConcurrentHashMap<>());
    views = made;
    return made;
  }

  private static boolean sameObjects(List<RMAWorker> a, List<RMAWorker> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Views computed from {@code stored} (listed at store version {@code storeVersion}) at heartbeat
   * version {@code beats} and time {@code at} (some kept from an earlier computation in the same
   * window), each from the beat in {@code beatsSeen} at its index (null: none); {@code byService}
   * fills as routing asks.
   */
  private record Views(
      List<RMAWorker> stored,
      long storeVersion,
      long beats,
      Instant started,
      Instant at,
      List<WorkerView> views,
      List<Heartbeats.Beat> beatsSeen,
      ConcurrentHashMap<String, List<WorkerView>> byService) {}

  public Optional<WorkerView> worker(String name) {
    return store.get(name).map(w -> view(w, clock.instant()));
  }

  /** What the phase policy needs to know of a stored worker. */
  public PhasePolicy.Member member(RMAWorker w) {
    return member(w, heartbeats.lastOrNull(w.getMetadata().getName()));
  }

  /** {@link #member(RMAWorker)} with the worker's last beat (null: none) already looked up. */
  private PhasePolicy.Member member(RMAWorker w, Heartbeats.Beat beat) {
    RMAWorkerStatus s = w.getStatus();
    return new PhasePolicy.Member(
        w.getMetadata().getName(),
        lastSeen(beat, stored(w)),
        beat != null ? beat.degraded() : s != null && s.getPhase() == WorkerPhase.Degraded,
        w.getSpec() != null && w.getSpec().draining(),
        s == null ? null : s.getPhase());
  }

  private WorkerView view(RMAWorker w, Instant now) {
    return view(w, heartbeats.lastOrNull(w.getMetadata().getName()), now);
  }

  /** The view of {@code w} with its last beat (null: none), looked up once by the caller. */
  private WorkerView view(RMAWorker w, Heartbeats.Beat beat, Instant now) {
    PhasePolicy.Member m = member(w, beat);
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
    return lastSeen(beat, storedLastSeen(w));
  }

  private static Instant lastSeen(Heartbeats.Beat beat, Instant stored) {
    return beat != null && beat.at().isAfter(stored) ? beat.at() : stored;
  }

  /** The stored timestamps as parsed last time, kept while they are the same strings. */
  private record StoredSeen(String heartbeat, String registered, String created, Instant seen) {}

  /**
   * {@link #storedLastSeen} with the parse kept per worker: routing reads the pool on every request
   * and parsing three timestamps was the costliest part of a view.
   */
  private Instant stored(RMAWorker w) {
    RMAWorkerStatus s = w.getStatus();
    String heartbeat = s == null ? null : s.getLastHeartbeat();
    String registered = s == null ? null : s.getRegisteredAt();
    String created = w.getMetadata().getCreationTimestamp();
    String name = w.getMetadata().getName();
    StoredSeen known = storedSeen.get(name);
    if (known != null
        && Objects.equals(known.heartbeat(), heartbeat)
        && Objects.equals(known.registered(), registered)
        && Objects.equals(known.created(), created)) {
      return known.seen();
    }
    Instant seen = storedLastSeen(w);
    if (storedSeen.size() > MAX_REMEMBERED) {
      storedSeen.clear(); // removed workers leave entries behind; start over now and then
    }
    storedSeen.put(name, new StoredSeen(heartbeat, registered, created, seen));
    return seen;
  }

  /** The last heartbeat the store recorded, else registration, else creation. */
  private static Instant storedLastSeen(RMAWorker w) {
    Instant seen = Instant.EPOCH;
    RMAWorkerStatus s = w.getStatus();
    if (s != null) {
      seen = later(seen, s.getLastHeartbeat());
      seen = later(seen, s.getRegisteredAt());
    }
    if (seen.equals(Instant.EPOCH)) {
      seen = later(seen, w.getMetadata().getCreationTimestamp());
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
