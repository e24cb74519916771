package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The two pure rules the Kubernetes reconciler shares with the standalone loop. */
class StatusWritePolicyTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration KEEPALIVE = Duration.ofMinutes(5);
  private final PhasePolicy phases = new PhasePolicy(HealthSettings.defaults());

  private static RMAWorkerStatus status(WorkerPhase phase, Instant beat) {
    RMAWorkerStatus s = new RMAWorkerStatus();
    s.setPhase(phase);
    s.setTier(2);
    s.setLoad(0.25);
    s.setLastHeartbeat(beat.toString());
    return s;
  }

  @Test
  void aPhaseChangeIsWrittenAtOnce() {
    assertThat(
            WorkerStatusPolicy.needsWrite(
                status(WorkerPhase.Healthy, T0),
                status(WorkerPhase.Offline, T0),
                T0,
                KEEPALIVE,
                T0.plusSeconds(1)))
        .isTrue();
  }

  @Test
  void aNewerHeartbeatAloneWaitsForTheKeepalive() {
    RMAWorkerStatus stored = status(WorkerPhase.Healthy, T0);
    RMAWorkerStatus later = status(WorkerPhase.Healthy, T0.plusSeconds(270));
    assertThat(WorkerStatusPolicy.needsWrite(stored, later, T0, KEEPALIVE, T0.plusSeconds(270)))
        .isFalse();
    assertThat(WorkerStatusPolicy.needsWrite(stored, later, T0, KEEPALIVE, T0.plusSeconds(300)))
        .isTrue();
    assertThat(WorkerStatusPolicy.needsWrite(stored, stored, T0, KEEPALIVE, T0.plusSeconds(900)))
        .isFalse();
  }

  @Test
  void theNextChangeIsGoingOfflineOrBeingPruned() {
    Instant started = T0.minus(Duration.ofHours(1));
    PhasePolicy.Member healthy = new PhasePolicy.Member("w", T0, false, false, WorkerPhase.Healthy);
    assertThat(phases.nextChange(healthy, WorkerPhase.Healthy, T0.plusSeconds(10), started))
        .contains(T0.plusSeconds(90));
    assertThat(phases.nextChange(healthy, WorkerPhase.Offline, T0.plusSeconds(100), started))
        .contains(T0.plus(Duration.ofMinutes(30)));
    assertThat(
            phases.nextChange(healthy, WorkerPhase.Offline, T0.plus(Duration.ofHours(1)), started))
        .isEmpty();
  }

  @Test
  void duringTheGracePeriodTheNextChangeIsItsEnd() {
    PhasePolicy.Member silent =
        new PhasePolicy.Member("w", T0.minus(Duration.ofMinutes(10)), false, false, null);
    assertThat(phases.nextChange(silent, WorkerPhase.Healthy, T0, T0)).contains(T0.plusSeconds(90));
  }
}
