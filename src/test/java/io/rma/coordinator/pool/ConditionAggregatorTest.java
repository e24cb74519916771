package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.api.v1alpha1.Condition;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionAggregatorTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant T1 = T0.plusSeconds(60);

  @Test
  void readyIsTrueForAHealthyWorker() {
    Condition ready = ConditionAggregator.conditions(null, WorkerPhase.Healthy, 3, T0).get(0);
    assertThat(ready.getType()).isEqualTo("Ready");
    assertThat(ready.getStatus()).isEqualTo("True");
    assertThat(ready.getReason()).isEqualTo("HeartbeatReceived");
    assertThat(ready.getObservedGeneration()).isEqualTo(3);
    assertThat(ready.getLastTransitionTime()).isEqualTo(T0.toString());
  }

  @Test
  void lastTransitionTimeIsKeptWhileTheStatusStaysTheSame() {
    List<Condition> first = ConditionAggregator.conditions(null, WorkerPhase.Healthy, 1, T0);
    List<Condition> again = ConditionAggregator.conditions(first, WorkerPhase.Healthy, 1, T1);
    assertThat(again).isEqualTo(first);
  }

  @Test
  void lastTransitionTimeMovesWhenTheStatusChanges() {
    List<Condition> first = ConditionAggregator.conditions(null, WorkerPhase.Healthy, 1, T0);
    Condition offline = ConditionAggregator.conditions(first, WorkerPhase.Offline, 1, T1).get(0);
    assertThat(offline.getStatus()).isEqualTo("False");
    assertThat(offline.getReason()).isEqualTo("HeartbeatMissed");
    assertThat(offline.getLastTransitionTime()).isEqualTo(T1.toString());
  }

  @Test
  void eachPhaseHasItsOwnReason() {
    assertThat(ConditionAggregator.conditions(null, WorkerPhase.Degraded, 1, T0).get(0).getReason())
        .isEqualTo("WorkerDegraded");
    assertThat(ConditionAggregator.conditions(null, WorkerPhase.Draining, 1, T0).get(0).getReason())
        .isEqualTo("Draining");
  }
}
