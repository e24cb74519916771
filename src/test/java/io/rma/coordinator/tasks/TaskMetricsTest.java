package io.rma.coordinator.tasks;

import static io.rma.coordinator.tasks.PullWorker.client;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.MutableClock;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Queue depth and outcomes in /observe/metrics, as Prometheus scrapes them. */
class TaskMetricsTest {
  private static final String RAG_TASK = "{\"service\": \"rag\", \"request\": {\"query\": \"q\"}}";

  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private CoordinatorFixture api;

  @AfterEach
  void close() {
    if (api != null) {
      api.close();
    }
  }

  /** The value of the series {@code name} whose labels include {@code label} (0 when absent). */
  private double metric(String name, String label) {
    Matcher m =
        Pattern.compile(
                "(?m)^"
                    + Pattern.quote(name)
                    + "\\{[^}]*"
                    + Pattern.quote(label)
                    + "[^}]*\\} ([0-9.eE+-]+)$")
            .matcher(api.get("/observe/metrics").body());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private void submit() {
    assertThat(
            client(api, "POST", "/api/inference/tasks", RAG_TASK, Map.of("Prefer", "respond-async"))
                .statusCode())
        .isEqualTo(202);
  }

  @Test
  void queueDepthPerServiceAndOutcomesAreScraped() {
    api = new CoordinatorFixture(Map.of(), clock);
    PullWorker worker = PullWorker.register(api, "rag");
    double completed = metric("rma_task_outcomes_total", "outcome=\"completed\"");
    double notPickedUp = metric("rma_task_outcomes_total", "outcome=\"not_picked_up\"");

    submit();
    submit();
    submit();
    assertThat(metric("rma_task_queue_depth", "service=\"rag\"")).isEqualTo(3);
    assertThat(metric("rma_task_queue_depth", "service=\"ner\"")).isZero();

    JsonNode task = worker.pollOne();
    assertThat(worker.answer(task, "{\"answer\": 1}").status()).isEqualTo(200);
    assertThat(metric("rma_task_queue_depth", "service=\"rag\"")).isEqualTo(2);
    assertThat(metric("rma_task_outcomes_total", "outcome=\"completed\"")).isEqualTo(completed + 1);

    clock.advance(Duration.ofMinutes(5));
    api.coordinator.tasks().sweep();
    assertThat(metric("rma_task_queue_depth", "service=\"rag\"")).isZero();
    assertThat(metric("rma_task_outcomes_total", "outcome=\"not_picked_up\""))
        .isEqualTo(notPickedUp + 2);
  }
}
