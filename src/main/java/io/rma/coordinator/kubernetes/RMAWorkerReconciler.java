package io.rma.coordinator.kubernetes;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.CompletedTasks;
import io.rma.coordinator.pool.HealthSettings;
import io.rma.coordinator.pool.LifecycleLog;
import io.rma.coordinator.pool.PhasePolicy;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.PruneGate;
import io.rma.coordinator.pool.WorkerStatusPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Kubernetes mode's adapter around the health policy, doing per worker what the standalone {@code
 * HealthLoop} does per pass: {@link PhasePolicy} gives the worker's phase and whether it is past
 * the prune window, {@link PoolVerdicts} the pool-wide part (pruning paused or settling after a
 * pause, service coverage) judged once per loop interval, and {@link WorkerStatusPolicy} the
 * desired status and whether it must be written. The reconciler writes it (locked on the
 * resourceVersion it read), records an Event on a phase change, deletes workers past the prune
 * window, and asks to run again at the next time-based transition. O(1) per reconcile.
 *
 * <p>It decides only in its turn ({@link KubernetesWorkerStore#tryExclusively}): while the web tier
 * saves a worker (the create, then its first status) the reconcile steps aside, and the end of the
 * save wakes it again ({@link #nudge}), so it decides from the status the web tier wrote, never
 * from the bare object between the two writes, and never writes over the web tier. A reconcile that
 * is unsure (its turn was taken, or the store has not seen the worker yet) always asks to run again
 * shortly. Heartbeats wake it through {@link #nudge} when they change a phase.
 */
@ControllerConfiguration(name = "rmaworker")
public final class RMAWorkerReconciler implements Reconciler<RMAWorker> {
  /** Soonest re-run, and the re-run of a reconcile that could not decide. */
  static final Duration MIN_DELAY = Duration.ofSeconds(1);

  private final KubernetesWorkerStore store;
  private final Pool pool;
  private final PhasePolicy phases;
  private final WorkerStatusPolicy statuses;
  private final HealthSettings settings;
  private final WorkerEvents events;
  private final Leadership leadership;
  private final CompletedTasks completed;
  private final PoolVerdicts verdicts;
  private final LifecycleLog lifecycle;
  private final Map<String, Instant> lastWritten = new ConcurrentHashMap<>();
  private final AtomicLong reconciles = new AtomicLong();
  private final SimpleInboundEventSource<RMAWorker> nudges =
      new SimpleInboundEventSource<>("heartbeats");

  /**
   * @param gate the coordinator's pruning gate (shared with the standalone loop's code; only one of
   *     the two runs)
   * @param interval how often the pool-wide verdict is judged ({@code RMA_LOOP_INTERVAL})
   */
  public RMAWorkerReconciler(
      KubernetesWorkerStore store,
      Pool pool,
      PhasePolicy phases,
      WorkerStatusPolicy statuses,
      HealthSettings settings,
      WorkerEvents events,
      Leadership leadership,
      CompletedTasks completed,
      PruneGate gate,
      LifecycleLog lifecycle,
      Duration interval) {
    this.store = store;
    this.pool = pool;
    this.phases = phases;
    this.statuses = statuses;
    this.settings = settings;
    this.events = events;
    this.leadership = leadership;
    this.completed = completed;
    this.lifecycle = lifecycle;
    this.verdicts =
        new PoolVerdicts(
            store::list, pool, phases, gate, lifecycle, interval, leadership::isLeader);
  }

  @Override
  public List<EventSource<?, RMAWorker>> prepareEventSources(EventSourceContext<RMAWorker> ctx) {
    return List.of(nudges);
  }

  /** Starts judging the pool once per interval (while leading); {@link #close} stops it. */
  public void start() {
    verdicts.start();
  }

  public void close() {
    verdicts.close();
  }

  /** Asks for a reconcile of one worker now (a heartbeat changed its phase, a save ended). */
  public void nudge(String name) {
    nudges.propagateEvent(new ResourceID(name, store.namespace()));
  }

  /** Forgets what it kept of a worker that is gone (deleted by anyone). */
  public void forget(String name) {
    lastWritten.remove(name);
  }

  /** Reconciles finished so far (tests wait on it). */
  public long reconciles() {
    return reconciles.get();
  }

  @Override
  public UpdateControl<RMAWorker> reconcile(RMAWorker trigger, Context<RMAWorker> ctx) {
    try {
      if (!leadership.isLeader()) {
        return UpdateControl.noUpdate();
      }
      String name = trigger.getMetadata().getName();
      // Busy: the web tier is saving this worker; the save's end nudges it again.
      return store
          .tryExclusively(name, () -> decide(trigger))
          .orElseGet(() -> UpdateControl.<RMAWorker>noUpdate().rescheduleAfter(MIN_DELAY));
    } finally {
      reconciles.incrementAndGet();
    }
  }

  private UpdateControl<RMAWorker> decide(RMAWorker trigger) {
    String name = trigger.getMetadata().getName();
    // The store's copy includes our own writes the informers have not seen yet; JOSDK's trigger
    // may be newer still (the two informers see a kubectl patch at different moments). Decide from
    // the fresher one, or a spec change seen first by JOSDK would be judged on the old spec.
    Optional<RMAWorker> found = store.get(name);
    if (found.isEmpty()) {
      // Deleted (then JOSDK drops the re-run), or the store's informer has not seen it yet.
      return UpdateControl.<RMAWorker>noUpdate().rescheduleAfter(MIN_DELAY);
    }
    RMAWorker w =
        KubernetesWorkerStore.version(trigger) > KubernetesWorkerStore.version(found.get())
            ? trigger
            : found.get();
    Instant now = pool.clock().instant();
    PoolVerdicts.Verdict verdict = verdicts.current();
    PhasePolicy.Member member = pool.member(w);
    WorkerPhase phase = phases.phase(member, now, pool.startedAt());
    if (verdict.pruning() && phases.prunable(member, now, pool.startedAt())) {
      if (store.delete(name)) {
        pool.heartbeats().forget(name);
        completed.forget(name);
        lastWritten.remove(name);
        lifecycle.pruned(name, phase);
        events.pruned(w, "no heartbeat for more than " + settings.pruneAfter() + ": removed");
        pool.events().pruned(name, "silent for more than " + settings.pruneAfter());
      }
      return UpdateControl.noUpdate();
    }
    RMAWorkerStatus current = w.getStatus();
    Set<String> before = WorkerStatusPolicy.servicesOf(w.getSpec(), current);
    RMAWorkerStatus desired =
        statuses.desired(
            Objects.requireNonNullElse(w.getMetadata().getGeneration(), 1L),
            w.getSpec(),
            current,
            phase,
            pool.heartbeats().last(name).orElse(null),
            () -> verdicts.coverageFor(before, phase != WorkerPhase.Offline),
            now);
    // Pull-worker results counted since the last write; they go out with the next status write.
    long results = completed.addTo(name, desired);
    Instant written = lastWritten.computeIfAbsent(name, n -> now);
    if (WorkerStatusPolicy.needsWrite(current, desired, written, settings.statusKeepalive(), now)) {
      store.patchStatus(w, desired); // a 409 (changed by someone else) throws: JOSDK retries
      completed.written(name, results);
      lastWritten.put(name, now);
      written = now;
      Set<String> after = WorkerStatusPolicy.servicesOf(w.getSpec(), desired);
      if (!after.equals(before) && phase != WorkerPhase.Offline) {
        verdicts.assigned(after.stream().filter(s -> !before.contains(s)).toList());
      }
      WorkerPhase was = current == null ? null : current.getPhase();
      if (was != phase) {
        lifecycle.changed(name, was, phase);
        events.phaseChanged(w, was, phase, desired.getConditions().get(0).getMessage());
      }
    }
    return UpdateControl.<RMAWorker>noUpdate()
        .rescheduleAfter(delay(member, phase, written, verdict, now));
  }

  /**
   * Until the next phase change, prune, keepalive or (pruning held back) re-check, whichever comes
   * first; a keepalive already past means nothing is waiting to be written. A time already past
   * (pruning due to resume now, the pass not yet judged) is one {@link #MIN_DELAY} away.
   */
  private Duration delay(
      PhasePolicy.Member m,
      WorkerPhase phase,
      Instant written,
      PoolVerdicts.Verdict verdict,
      Instant now) {
    // Past the prune window while pruning is held back: look again when it may resume.
    Optional<Instant> recheck =
        verdict.pruning() || !phases.prunable(m, now, pool.startedAt())
            ? Optional.empty()
            : Optional.of(
                verdict.resumesAt() != null
                    ? verdict.resumesAt()
                    : now.plus(settings.offlineAfter()));
    Instant next =
        Stream.of(
                phases.nextChange(m, phase, now, pool.startedAt()),
                Optional.of(written.plus(settings.statusKeepalive())),
                recheck)
            .flatMap(Optional::stream)
            .filter(t -> t.isAfter(now))
            .min(Instant::compareTo)
            .orElse(now.plus(settings.statusKeepalive()));
    Duration d = Duration.between(now, next);
    return d.compareTo(MIN_DELAY) < 0 ? MIN_DELAY : d;
  }
}
