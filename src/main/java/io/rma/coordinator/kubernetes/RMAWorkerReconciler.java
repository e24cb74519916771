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
import io.rma.coordinator.pool.PhasePolicy;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.WorkerStatusPolicy;
import io.rma.coordinator.pool.WorkerStatusPolicy.CoverageEntry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Kubernetes mode's adapter around the health policy, doing per worker what the standalone {@code
 * HealthLoop} does per pass: {@link PhasePolicy} judges the pool (phase, prune, mass-staleness
 * pause), {@link WorkerStatusPolicy} gives the desired status and whether it must be written. The
 * reconciler writes it (locked on the resourceVersion it read), records an Event on a phase change,
 * deletes workers past the prune window, and asks to run again at the next time-based transition.
 * Heartbeats wake it through {@link #nudge} when they change a phase.
 */
@ControllerConfiguration(name = "rmaworker")
public final class RMAWorkerReconciler implements Reconciler<RMAWorker> {
  private static final Duration MIN_DELAY = Duration.ofSeconds(1);

  private final KubernetesWorkerStore store;
  private final Pool pool;
  private final PhasePolicy phases;
  private final WorkerStatusPolicy statuses;
  private final HealthSettings settings;
  private final WorkerEvents events;
  private final Leadership leadership;
  private final Map<String, Instant> lastWritten = new ConcurrentHashMap<>();
  private final AtomicLong reconciles = new AtomicLong();
  private final SimpleInboundEventSource<RMAWorker> nudges =
      new SimpleInboundEventSource<>("heartbeats");

  private final CompletedTasks completed;

  public RMAWorkerReconciler(
      KubernetesWorkerStore store,
      Pool pool,
      PhasePolicy phases,
      WorkerStatusPolicy statuses,
      HealthSettings settings,
      WorkerEvents events,
      Leadership leadership,
      CompletedTasks completed) {
    this.completed = completed;
    this.store = store;
    this.pool = pool;
    this.phases = phases;
    this.statuses = statuses;
    this.settings = settings;
    this.events = events;
    this.leadership = leadership;
  }

  @Override
  public List<EventSource<?, RMAWorker>> prepareEventSources(EventSourceContext<RMAWorker> ctx) {
    return List.of(nudges);
  }

  /** Asks for a reconcile of one worker now (a heartbeat changed its phase, or a takeover). */
  public void nudge(String name) {
    nudges.propagateEvent(new ResourceID(name, store.namespace()));
  }

  /** Reconciles finished so far (tests wait on it). */
  public long reconciles() {
    return reconciles.get();
  }

  @Override
  public UpdateControl<RMAWorker> reconcile(RMAWorker trigger, Context<RMAWorker> ctx) {
    try {
      return decide(trigger);
    } finally {
      reconciles.incrementAndGet();
    }
  }

  private UpdateControl<RMAWorker> decide(RMAWorker trigger) {
    String name = trigger.getMetadata().getName();
    // The store's copy includes our own writes the informers have not seen yet; JOSDK's trigger
    // may be newer still (the two informers see a kubectl patch at different moments). Decide from
    // the fresher one, or a spec change seen first by JOSDK would be judged on the old spec and
    // nothing would trigger again.
    Optional<RMAWorker> found = store.get(name);
    if (found.isEmpty() || !leadership.isLeader()) {
      return UpdateControl.noUpdate();
    }
    RMAWorker w =
        KubernetesWorkerStore.version(trigger) > KubernetesWorkerStore.version(found.get())
            ? trigger
            : found.get();
    Instant now = pool.clock().instant();
    List<RMAWorker> all =
        store.list().stream().map(x -> x.getMetadata().getName().equals(name) ? w : x).toList();
    lastWritten.keySet().retainAll(all.stream().map(x -> x.getMetadata().getName()).toList());
    PhasePolicy.Verdict verdict =
        phases.evaluate(all.stream().map(pool::member).toList(), now, pool.startedAt());
    if (verdict.prune().contains(name)) {
      if (store.delete(name)) {
        pool.heartbeats().forget(name);
        completed.forget(name);
        events.pruned(w, "no heartbeat for more than " + settings.pruneAfter() + ": removed");
        pool.events().pruned(name, "silent for more than " + settings.pruneAfter());
      }
      return UpdateControl.noUpdate();
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
            () -> WorkerStatusPolicy.coverage(coverage(all, verdict), name),
            now);
    // Pull-worker results counted since the last write; they go out with the next status write.
    long results = completed.addTo(name, desired);
    Instant written = lastWritten.computeIfAbsent(name, n -> now);
    if (WorkerStatusPolicy.needsWrite(current, desired, written, settings.statusKeepalive(), now)) {
      store.patchStatus(w, desired); // a 409 (stale copy) throws: JOSDK retries on a fresh one
      completed.written(name, results);
      lastWritten.put(name, now);
      written = now;
      WorkerPhase before = current == null ? null : current.getPhase();
      if (before != phase) {
        events.phaseChanged(w, before, phase, desired.getConditions().get(0).getMessage());
        pool.events().phaseChanged(name, before, phase);
      }
    }
    return UpdateControl.<RMAWorker>noUpdate()
        .rescheduleAfter(delay(w, phase, written, verdict, now));
  }

  /**
   * Until the next phase change, prune, keepalive or (pruning paused) re-check, whichever comes
   * first; a keepalive already past means nothing is waiting to be written.
   */
  private Duration delay(
      RMAWorker w, WorkerPhase phase, Instant written, PhasePolicy.Verdict verdict, Instant now) {
    Instant next =
        Stream.of(
                phases.nextChange(pool.member(w), phase, now, pool.startedAt()),
                Optional.of(written.plus(settings.statusKeepalive())),
                verdict.prunePaused()
                    ? Optional.of(now.plus(settings.offlineAfter()))
                    : Optional.<Instant>empty())
            .flatMap(Optional::stream)
            .filter(t -> t.isAfter(now))
            .min(Instant::compareTo)
            .orElse(now.plus(settings.statusKeepalive()));
    Duration d = Duration.between(now, next);
    return d.compareTo(MIN_DELAY) < 0 ? MIN_DELAY : d;
  }

  private static List<CoverageEntry> coverage(List<RMAWorker> all, PhasePolicy.Verdict verdict) {
    return all.stream()
        .map(
            x ->
                new CoverageEntry(
                    x.getMetadata().getName(),
                    WorkerStatusPolicy.servicesOf(x.getSpec(), x.getStatus()),
                    verdict.phases().get(x.getMetadata().getName()) == WorkerPhase.Offline))
        .toList();
  }
}
