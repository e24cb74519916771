package io.rma.coordinator.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.pool.HealthSettings;
import io.rma.coordinator.pool.Heartbeats;
import io.rma.coordinator.pool.LifecycleLog;
import io.rma.coordinator.pool.PhasePolicy;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.PruneGate;
import io.rma.coordinator.pool.StandaloneWorkerStore;
import io.rma.coordinator.testing.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The pool-wide verdict Kubernetes mode's reconciles share: one pass over the pool per interval.
 */
class PoolVerdictsTest {
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private final HealthSettings settings = HealthSettings.defaults();
  private final PhasePolicy phases = new PhasePolicy(settings);
  private final Pool pool =
      new Pool(new StandaloneWorkerStore(null, "default", clock), new Heartbeats(), phases, clock);
  private final List<RMAWorker> workers = new ArrayList<>();
  private final AtomicInteger passes = new AtomicInteger();
  private final PruneGate gate = new PruneGate(settings.offlineAfter(), new LifecycleLog());
  private final PoolVerdicts verdicts =
      new PoolVerdicts(
          () -> {
            passes.incrementAndGet();
            return List.copyOf(workers);
          },
          pool,
          phases,
          gate,
          new LifecycleLog(),
          Duration.ofSeconds(1),
          () -> true);

  private void add(String name, List<String> services, String lastHeartbeat) {
    RMAWorker w = new RMAWorker(name, new RMAWorkerSpec());
    RMAWorkerStatus s = new RMAWorkerStatus();
    s.setAssignedServices(new ArrayList<>(services));
    s.setLastHeartbeat(lastHeartbeat);
    w.setStatus(s);
    workers.add(w);
  }

  @Test
  void thePoolIsJudgedOncePerIntervalHoweverManyReconcilesAsk() {
    for (int i = 0; i < 10_000; i++) {
      add("w-" + i, List.of("rag"), clock.instant().toString());
    }
    for (int i = 0; i < 10_000; i++) {
      verdicts.current();
    }
    assertThat(passes).hasValue(1);
    clock.advance(Duration.ofMillis(999));
    verdicts.current();
    assertThat(passes).hasValue(1);
    clock.advance(Duration.ofMillis(1));
    assertThat(verdicts.current().size()).isEqualTo(10_000);
    assertThat(passes).hasValue(2);
    // A clock set back (tests do it) is judged again rather than trusted.
    clock.advance(Duration.ofSeconds(-5));
    verdicts.current();
    assertThat(passes).hasValue(3);
  }

  @Test
  void theVerdictCountsTheStaleAndFeedsThePruneGate() {
    clock.advance(Duration.ofHours(1)); // past the start-up grace
    String now = clock.instant().toString();
    String old = clock.instant().minus(Duration.ofHours(1)).toString();
    for (int i = 0; i < 4; i++) {
      add("fresh-" + i, List.of(), now);
    }
    for (int i = 0; i < 6; i++) {
      add("stale-" + i, List.of(), old);
    }
    PoolVerdicts.Verdict v = verdicts.current();
    assertThat(v.stale()).isEqualTo(6);
    assertThat(v.pruning()).isFalse();
    assertThat(gate.state()).isEqualTo(PruneGate.State.PAUSED);
  }

  @Test
  void aVerdictJudgedInTheGracePeriodNeverAllowsPruning() {
    // The coordinator just started: within its grace nobody counts as stale, so the stale share
    // says nothing yet; a reconcile right after the grace must not prune on this verdict.
    add("w", List.of(), clock.instant().minus(Duration.ofHours(2)).toString());
    clock.advance(settings.grace().minusMillis(500));
    assertThat(verdicts.current().pruning()).isFalse();
    clock.advance(Duration.ofMillis(600));
    assertThat(verdicts.current().pruning()).isFalse(); // the same verdict, still fresh
    clock.advance(Duration.ofSeconds(1));
    assertThat(verdicts.current().pruning()).isTrue();
  }

  @Test
  void coverageIsTheLiveWorkersPlusWhatWasAssignedSinceLessTheAskingWorker() {
    clock.advance(Duration.ofHours(1));
    String now = clock.instant().toString();
    add("a", List.of("rag"), now);
    add("b", List.of("rag", "ner"), now);
    add("gone", List.of("ner"), clock.instant().minus(Duration.ofHours(1)).toString());
    assertThat(verdicts.current().coverage()).isEqualTo(Map.of("rag", 2, "ner", 1));
    verdicts.assigned(List.of("notes"));
    assertThat(verdicts.coverageFor(List.of("rag"), true))
        .isEqualTo(Map.of("rag", 1, "ner", 1, "notes", 1));
    assertThat(verdicts.coverageFor(List.of(), false))
        .isEqualTo(Map.of("rag", 2, "ner", 1, "notes", 1));
    // The next pass counts from the store again.
    clock.advance(Duration.ofSeconds(1));
    assertThat(verdicts.coverageFor(List.of(), false)).isEqualTo(Map.of("rag", 2, "ner", 1));
  }
}
