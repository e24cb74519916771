package io.rma.coordinator.pool;

import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.WorkerStatusPolicy.CoverageEntry;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Standalone mode's reconciler: on a schedule, applies {@link PhasePolicy} and {@link
 * WorkerStatusPolicy} to every worker, writes a status only when a decision changed or the
 * keepalive is due, and removes workers silent past the prune window while the {@link PruneGate}
 * allows. Each pass's phase changes and prunes go to the {@link LifecycleLog} (one line each, or
 * one summary line for a mass transition).
 */
public final class HealthLoop implements AutoCloseable {
  private static final Logger LOG = System.getLogger(HealthLoop.class.getName());

  private final Pool pool;
  private final PhasePolicy phases;
  private final WorkerStatusPolicy statuses;
  private final HealthSettings settings;
  private final CompletedTasks completed;
  private final Map<String, Instant> lastWritten = new ConcurrentHashMap<>();
  private final LifecycleLog lifecycle = new LifecycleLog();
  private final PruneGate gate;
  private ScheduledExecutorService scheduler;

  /**
   * What one pass did.
   *
   * @param prunePaused pruning was held back (a mass-staleness pause, or the offline window after
   *     one)
   */
  public record Pass(int workers, int statusWrites, List<String> pruned, boolean prunePaused) {}

  public HealthLoop(
      Pool pool, PhasePolicy phases, WorkerStatusPolicy statuses, HealthSettings settings) {
    this(pool, phases, statuses, settings, CompletedTasks.NONE);
  }

  /**
   * @param completed results counted since the last pass, added to {@code tasksCompleted}
   */
  public HealthLoop(
      Pool pool,
      PhasePolicy phases,
      WorkerStatusPolicy statuses,
      HealthSettings settings,
      CompletedTasks completed) {
    this.pool = pool;
    this.phases = phases;
    this.statuses = statuses;
    this.settings = settings;
    this.completed = completed;
    this.gate = new PruneGate(settings.offlineAfter(), lifecycle);
    lifecycle.pruneAfter(settings.pruneAfter());
    lifecycle.listen(new RecordEvents(pool.events(), settings.pruneAfter()));
  }

  /** The lifecycle news, in both modes, as the pool's recent events (the dashboard's list). */
  private record RecordEvents(PoolEvents events, Duration pruneAfter)
      implements LifecycleLog.Listener {
    @Override
    public void changed(LifecycleLog.Change c) {
      if (c.pruned()) {
        events.pruned(c.worker(), "silent for more than " + pruneAfter);
      } else {
        events.phaseChanged(c.worker(), c.from(), c.to());
      }
    }

    @Override
    public void pauseBegan(int stale, int size, Instant at) {
      events.record(
          PoolEvents.Type.PRUNING_PAUSED,
          null,
          null,
          null,
          stale + " of " + size + " workers are stale: pruning paused");
    }

    @Override
    public void pauseEnded(int stale, int size, Instant began, Instant at, Instant resumesAt) {
      events.record(
          PoolEvents.Type.PRUNING_PAUSE_ENDED,
          null,
          null,
          null,
          "the pause that began at " + began + " ended; nobody is pruned before " + resumesAt);
    }

    @Override
    public void pruningResumed(int stale, int size, Instant at) {
      events.record(PoolEvents.Type.PRUNING_RESUMED, null, null, null, "pruning goes on again");
    }
  }

  /** Runs passes every {@code period} on a daemon thread. */
  public synchronized void start(Duration period) {
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("rma-health-loop").daemon().unstarted(r));
    scheduler.scheduleWithFixedDelay(
        this::runQuietly, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void runQuietly() {
    try {
      runOnce();
    } catch (RuntimeException e) {
      // The next pass tries again; one bad pass must not stop the loop.
      LOG.log(Level.WARNING, "health pass failed: " + e.getMessage(), e);
    }
  }

  /** One pass over the pool; tests call this directly with a moved clock. */
  public synchronized Pass runOnce() {
    try {
      return pass();
    } finally {
      lifecycle.flush();
    }
  }

  private Pass pass() {
    Instant now = pool.clock().instant();
    List<RMAWorker> workers = pool.store().list();
    List<PhasePolicy.Member> members = workers.stream().map(pool::member).toList();
    PhasePolicy.Verdict verdict = phases.evaluate(members, now, pool.startedAt());
    boolean pruning = gate.observe(workers.size(), verdict.stale(), verdict.prunePaused(), now);
    Set<String> prune = pruning ? new HashSet<>(verdict.prune()) : Set.of();
    Set<String> pruned = new HashSet<>();
    for (RMAWorker w : workers) {
      String name = w.getMetadata().getName();
      if (!prune.contains(name) || !pool.store().delete(name)) {
        continue;
      }
      pool.heartbeats().forget(name);
      completed.forget(name);
      lastWritten.remove(name);
      pruned.add(name);
      lifecycle.pruned(name, verdict.phases().get(name));
    }
    // Updated as the pass assigns services, so two new workers in one pass fill two gaps.
    Map<String, CoverageEntry> coverage = new LinkedHashMap<>();
    for (RMAWorker w : workers) {
      String name = w.getMetadata().getName();
      coverage.put(
          name,
          new CoverageEntry(
              name,
              WorkerStatusPolicy.servicesOf(w.getSpec(), w.getStatus()),
              verdict.phases().get(name) == WorkerPhase.Offline));
    }
    int writes = 0;
    for (RMAWorker w : workers) {
      String name = w.getMetadata().getName();
      if (pruned.contains(name)) {
        continue;
      }
      RMAWorkerStatus current = w.getStatus();
      WorkerPhase phase = verdict.phases().get(name);
      RMAWorkerStatus desired =
          statuses.desired(
              Objects.requireNonNullElse(w.getMetadata().getGeneration(), 1L),
              w.getSpec(),
              current,
              phase,
              pool.heartbeats().last(name).orElse(null),
              () -> WorkerStatusPolicy.coverage(coverage.values(), name),
              now);
      long results = completed.addTo(name, desired);
      coverage.put(
          name,
          new CoverageEntry(
              name,
              WorkerStatusPolicy.servicesOf(w.getSpec(), desired),
              phase == WorkerPhase.Offline));
      if (WorkerStatusPolicy.needsWrite(
          current,
          desired,
          lastWritten.computeIfAbsent(name, n -> now),
          settings.statusKeepalive(),
          now)) {
        if (pool.store().updateStatus(name, desired)) {
          completed.written(name, results);
          writes++;
          lastWritten.put(name, now);
          if (current == null || current.getPhase() != phase) {
            lifecycle.changed(name, current == null ? null : current.getPhase(), phase);
          }
        }
      }
    }
    return new Pass(workers.size(), writes, List.copyOf(pruned), !pruning);
  }

  /** Where this loop's pool-wide news goes (log lines; listeners add Events, metrics). */
  public LifecycleLog lifecycle() {
    return lifecycle;
  }

  /**
   * Whether pruning may go on: the mass-staleness pause and its gentle end. Kubernetes mode's
   * reconciler feeds the same gate (the standalone loop does not run there).
   */
  public PruneGate pruneGate() {
    return gate;
  }

  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }
}
