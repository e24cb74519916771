package io.rma.coordinator.kubernetes;

import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.LifecycleLog;
import io.rma.coordinator.pool.PhasePolicy;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.PruneGate;
import io.rma.coordinator.pool.WorkerStatusPolicy;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The pool-wide half of Kubernetes mode's health verdict, judged in one pass over the pool at most
 * once per loop interval and shared by every reconcile until the next: how many workers are stale,
 * whether pruning may go on ({@link PruneGate}: the mass-staleness pause and the offline window
 * after it, as in standalone mode), and how many live workers run each service (for gap filling). A
 * reconcile then costs O(1), not a pass over the pool per worker.
 *
 * <p>The pass runs when a reconcile finds the last one older than the interval by the pool's clock,
 * and on a timer while this replica leads, so the pause's begin and end are noticed (and logged) on
 * time even when no reconcile is due. The timer also ends each interval's {@link LifecycleLog}
 * pass: the phase changes and prunes of the interval go out as one line each, or as one summary.
 */
final class PoolVerdicts implements AutoCloseable {
  private static final Logger LOG = System.getLogger(PoolVerdicts.class.getName());

  /**
   * One judgement of the pool.
   *
   * @param pruning whether workers past the prune window may be removed now
   * @param resumesAt while pruning is held back after a pause, when it resumes; else null
   * @param coverage live (not Offline) workers per service, at {@code at}
   */
  record Verdict(
      Instant at,
      int size,
      int stale,
      boolean pruning,
      Instant resumesAt,
      Map<String, Integer> coverage) {}

  private final Supplier<List<RMAWorker>> workers;
  private final Pool pool;
  private final PhasePolicy phases;
  private final PruneGate gate;
  private final LifecycleLog lifecycle;
  private final Duration interval;
  private final BooleanSupplier leading;
  private volatile Verdict current;

  /** Services handed out by reconciles since {@link #current} was judged. */
  private final ConcurrentHashMap<String, Integer> assignedSince = new ConcurrentHashMap<>();

  private ScheduledExecutorService timer;

  /**
   * @param workers the pool as the store holds it (the informer's cache and our own writes)
   */
  PoolVerdicts(
      Supplier<List<RMAWorker>> workers,
      Pool pool,
      PhasePolicy phases,
      PruneGate gate,
      LifecycleLog lifecycle,
      Duration interval,
      BooleanSupplier leading) {
    this.workers = workers;
    this.pool = pool;
    this.phases = phases;
    this.gate = gate;
    this.lifecycle = lifecycle;
    this.interval = interval;
    this.leading = leading;
  }

  /** The verdict for now: the last one while it is younger than the interval, else a new pass. */
  Verdict current() {
    Instant now = pool.clock().instant();
    Verdict v = current;
    if (v != null && !now.isBefore(v.at()) && now.isBefore(v.at().plus(interval))) {
      return v;
    }
    return judge(now);
  }

  private synchronized Verdict judge(Instant now) {
    Verdict v = current;
    if (v != null && !now.isBefore(v.at()) && now.isBefore(v.at().plus(interval))) {
      return v; // another thread judged while this one waited
    }
    List<RMAWorker> all = workers.get();
    Instant startedAt = pool.startedAt();
    Map<String, Integer> coverage = new HashMap<>();
    int stale = 0;
    for (RMAWorker w : all) {
      WorkerPhase p = phases.phase(pool.member(w), now, startedAt);
      if (p == WorkerPhase.Offline) {
        stale++;
      } else {
        WorkerStatusPolicy.servicesOf(w.getSpec(), w.getStatus())
            .forEach(s -> coverage.merge(s, 1, Integer::sum));
      }
    }
    // Judged in the grace period the stale count is low by design (nobody is stale yet), so such a
    // verdict never allows pruning, even for a reconcile just after the grace has ended.
    boolean pruning =
        gate.observe(all.size(), stale, phases.massStale(all.size(), stale), now)
            && !phases.inGrace(now, startedAt);
    Verdict made =
        new Verdict(now, all.size(), stale, pruning, gate.resumesAt(), Map.copyOf(coverage));
    assignedSince.clear();
    current = made;
    return made;
  }

  /**
   * How many live workers other than this one run each service: the last pass's counts, the
   * services reconciles handed out since, less this worker's own (when it is live and was counted;
   * a worker newer than the pass was not, hence the floor at zero).
   */
  Map<String, Integer> coverageFor(Collection<String> itsServices, boolean itIsLive) {
    Map<String, Integer> counts = new HashMap<>(current().coverage());
    assignedSince.forEach((s, n) -> counts.merge(s, n, Integer::sum));
    if (itIsLive) {
      itsServices.forEach(s -> counts.computeIfPresent(s, (k, n) -> n > 1 ? n - 1 : null));
    }
    return counts;
  }

  /** A reconcile gave a worker these services: counted until the next pass sees them stored. */
  void assigned(Collection<String> services) {
    services.forEach(s -> assignedSince.merge(s, 1, Integer::sum));
  }

  /** Judges every interval while this replica leads, and ends each interval's lifecycle pass. */
  synchronized void start() {
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("rma-pool-verdict").daemon().unstarted(r));
    timer.scheduleWithFixedDelay(
        this::tick, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void tick() {
    try {
      if (leading.getAsBoolean()) {
        current();
      }
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "pool verdict failed: " + e.getMessage(), e);
    } finally {
      lifecycle.flush();
    }
  }

  @Override
  public synchronized void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
    lifecycle.flush();
  }
}
