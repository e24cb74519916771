package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.testing.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The ring of lifecycle events: bounded, newest first, readable after a sequence number. */
class PoolEventsTest {
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");

  @Test
  void keepsOnlyTheNewestEventsOnceTheRingIsFull() {
    PoolEvents events = new PoolEvents(clock, 3);
    for (int i = 1; i <= 5; i++) {
      events.registered("w" + i, null);
      clock.advance(Duration.ofSeconds(1));
    }
    assertThat(events.latest()).isEqualTo(5);
    assertThat(events.oldest()).isEqualTo(3);
    assertThat(events.newest(10, 0, e -> true))
        .extracting(PoolEvents.Event::worker)
        .containsExactly("w5", "w4", "w3");
    assertThat(events.newest(10, 3, e -> true))
        .extracting(PoolEvents.Event::seq)
        .containsExactly(5L, 4L);
    assertThat(events.newest(1, 0, e -> true)).hasSize(1);
    assertThat(events.newest(10, 0, e -> e.worker().equals("w1"))).isEmpty();
    assertThat(events.newest(10, 0, e -> true).getFirst().at())
        .isEqualTo(clock.instant().minusSeconds(1));
  }

  @Test
  void recordsEachKindWithItsFields() {
    PoolEvents events = new PoolEvents(clock);
    assertThat(events.newest(10, 0, e -> true)).isEmpty();
    events.phaseChanged("w", WorkerPhase.Healthy, WorkerPhase.Offline);
    events.drained("w", true);
    events.drained("w", false);
    events.pruned("w", "silent");
    events.unregistered("x");
    assertThat(events.newest(10, 0, e -> true))
        .extracting(e -> e.type().wire())
        .containsExactly("unregistered", "pruned", "undrained", "drained", "phase_changed");
    PoolEvents.Event change = events.newest(10, 0, e -> true).getLast();
    assertThat(change.from()).isEqualTo(WorkerPhase.Healthy);
    assertThat(change.to()).isEqualTo(WorkerPhase.Offline);
    assertThat(PoolEvents.Type.fromWire("phase_changed")).contains(PoolEvents.Type.PHASE_CHANGED);
    assertThat(PoolEvents.Type.fromWire("PHASE_CHANGED")).isEmpty();
  }
}
