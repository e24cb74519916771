package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.api.v1alpha1.Capabilities;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HealthLoopTest {
  @TempDir Path dir;
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private final CoordinatorConfig config = ConfigLoader.load(Map.of());
  private SqliteWorkerRepository file;
  private Coordinator coordinator;

  @BeforeEach
  void start() {
    open();
    // Past the start-up grace, so the tests see the steady-state rules.
    clock.advance(config.health().grace());
  }

  private void open() {
    file = new SqliteWorkerRepository(dir.resolve("rma.db"));
    coordinator =
        new Coordinator(
            config, new StandaloneWorkerStore(file, "default", clock), clock, "standalone");
  }

  @AfterEach
  void stop() {
    coordinator.close();
  }

  private RMAWorker add(String name, String gpuMemory) {
    Capabilities c = new Capabilities();
    c.setCpuCores(8);
    c.setRam("32GB");
    c.setGpuType(gpuMemory == null ? null : "RTX");
    c.setGpuMemory(gpuMemory);
    RMAWorkerSpec spec = new RMAWorkerSpec();
    spec.setCapabilities(c);
    // Saved with no status, as `kubectl apply` would: the loop decides everything.
    return coordinator.store().save(new RMAWorker(name, spec));
  }

  private void beat(String name) {
    coordinator
        .pool()
        .heartbeats()
        .record(name, new Heartbeats.Beat(clock.instant(), false, 0.2, null));
  }

  private WorkerPhase storedPhase(String name) {
    return coordinator.store().get(name).orElseThrow().getStatus().getPhase();
  }

  @Test
  void aNewWorkerGetsTierServicesAndConditions() {
    add("gpu-1", "24GB");
    add("gpu-2", "24GB");
    beat("gpu-1");
    beat("gpu-2");
    coordinator.loop().runOnce();
    var s1 = coordinator.store().get("gpu-1").orElseThrow().getStatus();
    var s2 = coordinator.store().get("gpu-2").orElseThrow().getStatus();
    assertThat(s1.getTier()).isEqualTo(1);
    assertThat(s1.getPhase()).isEqualTo(WorkerPhase.Healthy);
    assertThat(s1.getConditions())
        .extracting("type", "status")
        .containsExactly(org.assertj.core.groups.Tuple.tuple("Ready", "True"));
    assertThat(s1.getObservedGeneration()).isEqualTo(1L);
    // Gap filling sees the first worker's service when it assigns the second.
    assertThat(s1.getAssignedServices()).containsExactly("vllm");
    assertThat(s2.getAssignedServices()).containsExactly("vision");
  }

  @Test
  void aSilentWorkerGoesOfflineAndItsNextHeartbeatMakesItHealthy() {
    add("w", null);
    beat("w");
    coordinator.loop().runOnce();
    assertThat(storedPhase("w")).isEqualTo(WorkerPhase.Healthy);

    clock.advance(Duration.ofSeconds(89));
    coordinator.loop().runOnce();
    assertThat(storedPhase("w")).isEqualTo(WorkerPhase.Healthy);

    clock.advance(Duration.ofSeconds(1));
    coordinator.loop().runOnce();
    assertThat(storedPhase("w")).isEqualTo(WorkerPhase.Offline);
    assertThat(coordinator.pool().worker("w").orElseThrow().phase()).isEqualTo(WorkerPhase.Offline);

    clock.advance(Duration.ofMinutes(10));
    beat("w");
    assertThat(coordinator.pool().worker("w").orElseThrow().phase()).isEqualTo(WorkerPhase.Healthy);
    coordinator.loop().runOnce();
    assertThat(storedPhase("w")).isEqualTo(WorkerPhase.Healthy);
  }

  @Test
  void offlineWorkerIsPrunedAfterThePruneWindowAndStaysGoneAfterARestart() {
    add("w", null);
    beat("w");
    coordinator.loop().runOnce();
    clock.advance(Duration.ofMinutes(30).minusSeconds(1));
    assertThat(coordinator.loop().runOnce().pruned()).isEmpty();
    clock.advance(Duration.ofSeconds(1));
    assertThat(coordinator.loop().runOnce().pruned()).containsExactly("w");
    assertThat(coordinator.store().get("w")).isEmpty();

    coordinator.close();
    open();
    assertThat(coordinator.store().list()).isEmpty();
  }

  @Test
  void aDrainingWorkerIsDrainingInStatus() {
    RMAWorker w = add("w", null);
    beat("w");
    w.getSpec().setDrain(true);
    coordinator.store().save(w);
    coordinator.loop().runOnce();
    var status = coordinator.store().get("w").orElseThrow().getStatus();
    assertThat(status.getPhase()).isEqualTo(WorkerPhase.Draining);
    assertThat(status.getConditions().get(0).getReason()).isEqualTo("Draining");
  }

  @Test
  void steadyHeartbeatsAreWrittenOnlyAtTheKeepalive() {
    for (int i = 0; i < 50; i++) {
      add("w-" + i, null);
      beat("w-" + i);
    }
    coordinator.loop().runOnce();
    long before = file.writes();
    // Four minutes of heartbeats every 30 s, with the loop running every second.
    for (int second = 1; second <= 240; second++) {
      clock.advance(Duration.ofSeconds(1));
      if (second % 30 == 0) {
        for (int i = 0; i < 50; i++) {
          beat("w-" + i);
        }
      }
      coordinator.loop().runOnce();
    }
    assertThat(file.writes() - before).isZero();

    // Past the five-minute keepalive, each worker's load and last-seen are written once.
    for (int second = 241; second <= 330; second++) {
      clock.advance(Duration.ofSeconds(1));
      if (second % 30 == 0) {
        for (int i = 0; i < 50; i++) {
          beat("w-" + i);
        }
      }
      coordinator.loop().runOnce();
    }
    assertThat(file.writes() - before).isEqualTo(50);
  }

  @Test
  void aRestartGivesEveryoneOneGracePeriodBeforeJudgingThemStale() {
    add("w", null);
    beat("w");
    coordinator.loop().runOnce();
    coordinator.close();

    // The coordinator was down for an hour; the worker's last beat is an hour old.
    clock.advance(Duration.ofHours(1));
    open();
    coordinator.loop().runOnce();
    assertThat(storedPhase("w")).isEqualTo(WorkerPhase.Healthy);
    clock.advance(config.health().grace().minusSeconds(1));
    coordinator.loop().runOnce();
    assertThat(coordinator.store().get("w")).isPresent();
    assertThat(storedPhase("w")).isEqualTo(WorkerPhase.Healthy);

    clock.advance(Duration.ofSeconds(1));
    // Silent through the grace: Offline, and past the prune window it goes.
    assertThat(coordinator.loop().runOnce().pruned()).containsExactly("w");
  }

  /**
   * Issue 16's heal: 30 of 50 workers silent past the prune window (a partition), pruning paused;
   * the partition heals and the 30 come back one by one, one a second. Their first few drop the
   * stale share under the threshold while the rest are still on their way; none of them is pruned.
   */
  @Test
  void whenAPauseLiftsTheWorkersComingBackOneByOneAreNotPruned() {
    List<String> news = new ArrayList<>();
    coordinator
        .loop()
        .lifecycle()
        .listen(
            new LifecycleLog.Listener() {
              @Override
              public void pauseBegan(int stale, int size, java.time.Instant at) {
                news.add("paused " + stale + "/" + size);
              }

              @Override
              public void pauseEnded(
                  int stale,
                  int size,
                  java.time.Instant began,
                  java.time.Instant at,
                  java.time.Instant resumesAt) {
                news.add("ended " + stale + "/" + size + " until " + resumesAt);
              }

              @Override
              public void pruningResumed(int stale, int size, java.time.Instant at) {
                news.add("resumed " + stale + "/" + size);
              }
            });
    for (int i = 0; i < 50; i++) {
      add("w-" + i, null);
      beat("w-" + i);
    }
    List<String> pruned = new ArrayList<>();
    // 35 minutes of partition: only the first 20 beat (every 30 s); the loop runs every 30 s.
    for (int t = 30; t <= 35 * 60; t += 30) {
      clock.advance(Duration.ofSeconds(30));
      for (int i = 0; i < 20; i++) {
        beat("w-" + i);
      }
      pruned.addAll(coordinator.loop().runOnce().pruned());
    }
    assertThat(coordinator.loop().pruneGate().state()).isEqualTo(PruneGate.State.PAUSED);
    // The heal: one returning worker a second, the loop every second, everyone beating every 30 s.
    java.time.Instant healed = clock.instant();
    for (int second = 1; second <= 4 * 60; second++) {
      clock.advance(Duration.ofSeconds(1));
      for (int i = 0; i < 50; i++) {
        int firstBeat = i < 20 ? 0 : i - 19;
        if (second >= firstBeat && (second - firstBeat) % 30 == 0) {
          beat("w-" + i);
        }
      }
      pruned.addAll(coordinator.loop().runOnce().pruned());
    }

    assertThat(pruned).isEmpty();
    assertThat(coordinator.store().list()).hasSize(50);
    assertThat(coordinator.pool().workers())
        .allSatisfy(v -> assertThat(v.phase()).isEqualTo(WorkerPhase.Healthy));
    for (int i = 0; i < 50; i++) {
      assertThat(storedPhase("w-" + i)).as("w-" + i).isEqualTo(WorkerPhase.Healthy);
    }
    // The share fell to 55 % or less when the third came back (27 of 50 still stale); pruning
    // stayed off for one offline window (90 s) after that, and resumed with nobody left to prune.
    assertThat(news)
        .containsExactly(
            "paused 30/50",
            "ended 27/50 until " + healed.plusSeconds(3).plus(config.health().offlineAfter()),
            "resumed 0/50");
    assertThat(coordinator.loop().pruneGate().state()).isEqualTo(PruneGate.State.OPEN);
  }

  @Test
  void pruningResumesOneOfflineWindowAfterThePauseForThoseStillSilent() {
    for (int i = 0; i < 10; i++) {
      add("w-" + i, null);
      beat("w-" + i);
    }
    // 6 of 10 silent for 31 minutes: paused.
    for (int t = 30; t <= 31 * 60; t += 30) {
      clock.advance(Duration.ofSeconds(30));
      for (int i = 0; i < 4; i++) {
        beat("w-" + i);
      }
      assertThat(coordinator.loop().runOnce().pruned()).isEmpty();
    }
    // Two come back: 4 of 10 stale, the pause lifts; the four still silent wait one offline window.
    clock.advance(Duration.ofSeconds(1));
    beat("w-4");
    beat("w-5");
    for (int i = 0; i < 4; i++) {
      beat("w-" + i);
    }
    HealthLoop.Pass lifted = coordinator.loop().runOnce();
    assertThat(lifted.pruned()).isEmpty();
    assertThat(lifted.prunePaused()).isTrue();
    clock.advance(config.health().offlineAfter().minusSeconds(1));
    for (int i = 0; i < 6; i++) {
      beat("w-" + i);
    }
    assertThat(coordinator.loop().runOnce().pruned()).isEmpty();
    clock.advance(Duration.ofSeconds(1));
    assertThat(coordinator.loop().runOnce().pruned())
        .containsExactlyInAnyOrder("w-6", "w-7", "w-8", "w-9");
  }
}
