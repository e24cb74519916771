package io.rma.coordinator.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rma.coordinator.config.ConfigLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class TaskSettingsConfigTest {
  @Test
  void defaultsAreThoseOfTheDocs() {
    TaskSettings s = ConfigLoader.load(Map.of()).tasks();
    assertThat(s).isEqualTo(TaskSettings.defaults());
    assertThat(s.maxAttempts()).isEqualTo(3);
    assertThat(s.queueCapacity()).isEqualTo(1000);
    assertThat(s.lease()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void environmentVariablesSetEveryLimit() {
    TaskSettings s =
        ConfigLoader.load(
                Map.of(
                    "RMA_TASK_MAX_ATTEMPTS", "5",
                    "RMA_TASK_LEASE", "2m",
                    "RMA_TASK_QUEUE_CAPACITY", "10",
                    "RMA_TASK_RETENTION", "1h",
                    "RMA_TASK_RESULT_WAIT", "PT30S",
                    "RMA_TASK_MAX_POLL_WAIT", "20s"))
            .tasks();
    assertThat(s.maxAttempts()).isEqualTo(5);
    assertThat(s.lease()).isEqualTo(Duration.ofMinutes(2));
    assertThat(s.queueCapacity()).isEqualTo(10);
    assertThat(s.retention()).isEqualTo(Duration.ofHours(1));
    assertThat(s.resultWait()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.maxPollWait()).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void aBadValueStopsTheStartNamingTheSetting() {
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("RMA_TASK_MAX_ATTEMPTS", "0")))
        .isInstanceOf(ConfigLoader.ConfigException.class)
        .hasMessageContaining("RMA_TASK_MAX_ATTEMPTS");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("RMA_TASK_LEASE", "soon")))
        .isInstanceOf(ConfigLoader.ConfigException.class)
        .hasMessageContaining("RMA_TASK_LEASE");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("RMA_TASK_MEMORY_MIB", "0")))
        .isInstanceOf(ConfigLoader.ConfigException.class)
        .hasMessageContaining("RMA_TASK_MEMORY_MIB");
  }

  @Test
  void theOldCountCapIsIgnoredWithAWarningNotAFailure() {
    List<String> warnings = new ArrayList<>();
    Logger log = Logger.getLogger(ConfigLoader.class.getName());
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            if (r.getLevel() == java.util.logging.Level.WARNING) {
              warnings.add(r.getMessage());
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    log.addHandler(handler);
    try {
      TaskSettings s = ConfigLoader.load(Map.of("RMA_TASK_RETAIN_MAX", "10000")).tasks();
      assertThat(s).isEqualTo(TaskSettings.defaults());
    } finally {
      log.removeHandler(handler);
    }
    assertThat(warnings)
        .singleElement()
        .asString()
        .contains("RMA_TASK_RETAIN_MAX", "ignored", "RMA_TASK_MEMORY_MIB");
  }
}
