package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PruneGateTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration SETTLE = Duration.ofSeconds(90);
  private final List<String> news = new ArrayList<>();
  private final PruneGate gate = new PruneGate(SETTLE, recording());

  private LifecycleLog recording() {
    LifecycleLog log = new LifecycleLog();
    log.listen(
        new LifecycleLog.Listener() {
          @Override
          public void pauseBegan(int stale, int size, Instant at) {
            news.add("began " + at);
          }

          @Override
          public void pauseEnded(int stale, int size, Instant began, Instant at, Instant resumes) {
            news.add("ended " + at + " resumes " + resumes);
          }

          @Override
          public void pruningResumed(int stale, int size, Instant at) {
            news.add("resumed " + at);
          }
        });
    return log;
  }

  @Test
  void pruningIsOpenWhileThePoolIsHealthy() {
    assertThat(gate.observe(50, 3, false, T)).isTrue();
    assertThat(gate.state()).isEqualTo(PruneGate.State.OPEN);
    assertThat(news).isEmpty();
  }

  @Test
  void aPauseStaysClosedForOneOfflineWindowAfterItLifts() {
    assertThat(gate.observe(50, 30, true, T)).isFalse();
    assertThat(gate.observe(50, 30, true, T.plusSeconds(600))).isFalse();
    Instant lifted = T.plusSeconds(601);
    assertThat(gate.observe(50, 27, false, lifted)).isFalse();
    assertThat(gate.resumesAt()).isEqualTo(lifted.plus(SETTLE));
    assertThat(gate.observe(50, 2, false, lifted.plus(SETTLE).minusMillis(1))).isFalse();
    assertThat(gate.observe(50, 2, false, lifted.plus(SETTLE))).isTrue();
    assertThat(news)
        .containsExactly(
            "began " + T,
            "ended " + lifted + " resumes " + lifted.plus(SETTLE),
            "resumed " + lifted.plus(SETTLE));
  }

  @Test
  void massStalenessWhileSettlingPausesAgain() {
    gate.observe(50, 30, true, T);
    gate.observe(50, 20, false, T.plusSeconds(10));
    assertThat(gate.observe(50, 30, true, T.plusSeconds(20))).isFalse();
    assertThat(gate.state()).isEqualTo(PruneGate.State.PAUSED);
    // The window counts from the latest lift.
    gate.observe(50, 20, false, T.plusSeconds(30));
    assertThat(gate.observe(50, 20, false, T.plusSeconds(30).plus(SETTLE).minusSeconds(1)))
        .isFalse();
    assertThat(gate.observe(50, 20, false, T.plusSeconds(30).plus(SETTLE))).isTrue();
    assertThat(news).hasSize(5);
  }
}
