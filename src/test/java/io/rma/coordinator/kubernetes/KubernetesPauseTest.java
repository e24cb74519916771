package io.rma.coordinator.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Event;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.pool.PruneGate;
import io.rma.coordinator.runtime.KubernetesMode;
import io.rma.coordinator.testing.Api;
import io.rma.coordinator.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 16's heal in Kubernetes mode: 30 of 50 workers silent past the prune window (pruning
 * paused), then back one by one, a second apart, with a reconcile of every worker after each (more
 * than the operator's timers would do). Nobody is pruned; the pause's begin and end and the
 * resumption of pruning are Kubernetes Events. Default timings on a clock the test moves.
 */
class KubernetesPauseTest {
  private MockCluster cluster;
  private MutableClock clock;
  private KubernetesMode mode;
  private Api api;

  @BeforeEach
  void start() {
    cluster = new MockCluster();
    clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    CoordinatorConfig config =
        ConfigLoader.load(
            Map.of("RMA_NAMESPACE", MockCluster.NAMESPACE, "RMA_REGISTRATIONS_PER_MINUTE", "0"));
    mode = KubernetesMode.start(config, cluster.client, clock, KubernetesMode.Election.off(), 0);
    api = new Api(mode.server().port());
  }

  @AfterEach
  void stop() {
    mode.close();
    cluster.close();
  }

  @Test
  void workersComingBackOneByOneAfterAPauseAreNotPruned() {
    List<JsonNode> workers = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      workers.add(api.register(KubernetesModeTest.CPU_WORKER));
    }
    // A partition of 35 minutes: only the first 20 beat.
    for (int minute = 5; minute <= 35; minute += 5) {
      clock.advance(Duration.ofMinutes(5));
      for (JsonNode w : workers.subList(0, 20)) {
        assertThat(api.heartbeat(w, 0.2)).isEqualTo(200);
      }
      reconcileEveryone();
    }
    await().untilAsserted(() -> assertThat(offline()).isEqualTo(30));
    assertThat(mode.coordinator().loop().pruneGate().state()).isEqualTo(PruneGate.State.PAUSED);

    // The heal: one a second, each beating from then on every 30 s, with the 20 keeping theirs.
    for (int second = 1; second <= 150; second++) {
      clock.advance(Duration.ofSeconds(1));
      for (int i = 0; i < 50; i++) {
        int first = i < 20 ? 0 : i - 19;
        if (second >= first && (second - first) % 30 == 0) {
          assertThat(api.heartbeat(workers.get(i), 0.2)).as("worker " + i).isEqualTo(200);
        }
      }
      reconcileEveryone();
    }

    assertThat(stored()).hasSize(50);
    await()
        .untilAsserted(
            () ->
                assertThat(stored())
                    .allSatisfy(
                        w -> assertThat(w.getStatus().getPhase()).isEqualTo(WorkerPhase.Healthy)));
    assertThat(mode.coordinator().loop().pruneGate().state()).isEqualTo(PruneGate.State.OPEN);
    await()
        .untilAsserted(
            () ->
                assertThat(eventReasons())
                    .contains("PruningPaused", "PruningPauseEnded", "PruningResumed")
                    .doesNotContain("WorkerPruned"));
  }

  /** A reconcile of every worker, as if each one's timer fired now. */
  private void reconcileEveryone() {
    RMAWorkerReconciler reconciler = mode.reconciler();
    long before = reconciler.reconciles();
    int n = mode.store().list().size();
    mode.reconcileAll();
    await()
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(5))
        .until(() -> reconciler.reconciles() >= before + n);
  }

  private List<RMAWorker> stored() {
    return cluster
        .client
        .resources(RMAWorker.class)
        .inNamespace(MockCluster.NAMESPACE)
        .list()
        .getItems();
  }

  private long offline() {
    return stored().stream().filter(w -> w.getStatus().getPhase() == WorkerPhase.Offline).count();
  }

  private List<String> eventReasons() {
    return cluster
        .client
        .v1()
        .events()
        .inNamespace(MockCluster.NAMESPACE)
        .list()
        .getItems()
        .stream()
        .map(Event::getReason)
        .toList();
  }
}
