package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LifecycleLogTest {
  private final Logger jul = Logger.getLogger(LifecycleLog.class.getName());
  private final List<String> lines = new ArrayList<>();
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          lines.add(r.getLevel() + " " + r.getMessage());
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  private final LifecycleLog log = new LifecycleLog();

  @BeforeEach
  void capture() {
    jul.addHandler(capture);
    log.pruneAfter(Duration.ofMinutes(30));
  }

  @AfterEach
  void release() {
    jul.removeHandler(capture);
  }

  @Test
  void aFewChangesInAPassAreLoggedOneLineEach() {
    log.changed("w-1", WorkerPhase.Healthy, WorkerPhase.Offline);
    log.changed("w-2", null, WorkerPhase.Healthy);
    log.pruned("w-3", WorkerPhase.Offline);
    assertThat(lines).isEmpty(); // held until the pass ends
    log.flush();
    assertThat(lines)
        .containsExactly(
            "INFO worker w-1 is Offline (was Healthy)",
            "INFO worker w-2 is Healthy",
            "INFO pruned worker w-3: silent for more than PT30M");
    log.flush();
    assertThat(lines).hasSize(3);
  }

  @Test
  void aMassTransitionIsOneSummaryLineWithCountsAndAFewIds() {
    for (int i = 0; i < 5000; i++) {
      log.changed("w-" + i, WorkerPhase.Healthy, WorkerPhase.Offline);
    }
    for (int i = 0; i < 7; i++) {
      log.pruned("old-" + i, WorkerPhase.Offline);
    }
    log.flush();
    assertThat(lines)
        .containsExactly(
            "WARNING 5007 workers changed in one pass: Healthy->Offline 5000, Offline->pruned 7;"
                + " e.g. w-0 (Healthy->Offline), w-1 (Healthy->Offline), w-2 (Healthy->Offline),"
                + " w-3 (Healthy->Offline), w-4 (Healthy->Offline); pruned: silent for more than"
                + " PT30M");
  }

  @Test
  void exactlyTheThresholdIsStillOneLineEach() {
    for (int i = 0; i < LifecycleLog.SUMMARY_OVER; i++) {
      log.changed("w-" + i, WorkerPhase.Offline, WorkerPhase.Healthy);
    }
    log.flush();
    assertThat(lines).hasSize(LifecycleLog.SUMMARY_OVER);
    log.changed("w-x", WorkerPhase.Offline, WorkerPhase.Healthy);
    log.flush();
    assertThat(lines).hasSize(LifecycleLog.SUMMARY_OVER + 1);
  }

  @Test
  void listenersHearOfEveryChangeAsItHappens() {
    List<String> heard = new ArrayList<>();
    log.listen(
        new LifecycleLog.Listener() {
          @Override
          public void changed(LifecycleLog.Change c) {
            heard.add(c.worker() + " " + c.transition());
          }
        });
    for (int i = 0; i < 30; i++) {
      log.pruned("w-" + i, WorkerPhase.Offline);
    }
    assertThat(heard).hasSize(30).first().isEqualTo("w-0 Offline->pruned");
  }
}
