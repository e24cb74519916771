package io.rma.coordinator.tasks;

import static io.rma.coordinator.tasks.PullWorker.client;
import static io.rma.coordinator.tasks.PullWorker.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.MutableClock;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finished tasks and their idempotency keys stay for RMA_TASK_RETENTION, within the memory budget
 * RMA_TASK_MEMORY_MIB rather than a count; with a database file, what memory lets go stays on disk.
 * Tasks go through the dispatcher's seam (fast), the key is re-sent over HTTP as a client would.
 */
class RetentionTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private CoordinatorFixture api;

  @AfterEach
  void close() {
    if (api != null) {
      api.close();
    }
  }

  private CoordinatorFixture start(Map<String, String> env) {
    api = new CoordinatorFixture(env, clock);
    return api;
  }

  private static JsonNode request(int i) {
    return JSON.createObjectNode().put("query", "question " + i);
  }

  /**
   * Submits with key {@code "k-" + i}, lets the worker take it and answer with a result of about
   * {@code resultBytes}; returns its id.
   */
  private String runTask(PullWorker worker, int i, int resultBytes) {
    PullDispatcher tasks = api.coordinator.tasks();
    Task t = tasks.submit("rag", "/query", request(i), Optional.of("k-" + i));
    List<Task> got = tasks.poll(worker.id, List.of("rag"), List.of(), 1, Duration.ZERO);
    assertThat(got).extracting(Task::id).containsExactly(t.id());
    JsonNode result = JSON.createObjectNode().put("answer", i).put("text", "t".repeat(resultBytes));
    tasks.complete(t.id(), worker.id, 1, result, 200);
    return t.id();
  }

  /** The client sends the task with key {@code "k-" + i} again, over HTTP. */
  private HttpResponse<String> resend(int i) {
    return client(
        api,
        "POST",
        "/api/inference/tasks",
        "{\"service\": \"rag\", \"request\": " + request(i) + "}",
        Map.of("Prefer", "respond-async", "Idempotency-Key", "k-" + i));
  }

  private double metric(String name) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$")
            .matcher(api.get("/observe/metrics").body());
    return m.find() ? Double.parseDouble(m.group(2)) : 0;
  }

  /** The tasks table as another connection reads it. */
  private static List<Task> rowsInTheFile(Map<String, String> env) {
    try (SqliteTaskRepository file = new SqliteTaskRepository(Path.of(env.get("DATABASE_PATH")))) {
      return file.loadAll();
    }
  }

  @Test
  void fiftyThousandTasksThroughAnHourOfRetentionKeepTheFirstKey() {
    start(Map.of("RMA_TASK_RETENTION", "1h", "RMA_TASK_QUEUE_CAPACITY", "100"));
    PullWorker worker = PullWorker.register(api, "rag");
    double forgottenBefore = metric("rma_tasks_forgotten_early_total");
    String first = runTask(worker, 0, 0);
    for (int i = 1; i < 50_000; i++) {
      runTask(worker, i, 0);
      if (i % 1000 == 0) {
        clock.advance(Duration.ofSeconds(50)); // 50,000 tasks over about 42 minutes
        worker.heartbeat();
        api.coordinator.tasks().sweep();
      }
    }

    HttpResponse<String> again = resend(0);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
    JsonNode task = json(again);
    assertThat(task.get("task_id").asText()).isEqualTo(first);
    assertThat(task.get("status").asText()).isEqualTo("completed");
    assertThat(api.get("/api/inference/tasks/" + first).json().get("result").get("answer").asInt())
        .isZero();
    assertThat(metric("rma_tasks_forgotten_early_total")).isEqualTo(forgottenBefore);
    assertThat(metric("rma_task_outcomes_total")).isPositive();

    // An hour after it finished, it is gone: the same key makes a new task.
    clock.advance(Duration.ofMinutes(20));
    worker.heartbeat();
    api.coordinator.tasks().sweep();
    HttpResponse<String> later = resend(0);
    assertThat(later.statusCode()).as(later.body()).isEqualTo(202);
    assertThat(json(later).get("task_id").asText()).isNotEqualTo(first);
  }

  @Test
  void withoutAFileTheBudgetForgetsTheOldestEarlyAndSaysSo() {
    start(Map.of("RMA_TASK_RETENTION", "1h", "RMA_TASK_MEMORY_MIB", "1"));
    PullWorker worker = PullWorker.register(api, "rag");
    double forgottenBefore = metric("rma_tasks_forgotten_early_total");
    String first = runTask(worker, 0, 4000);
    for (int i = 1; i < 600; i++) {
      runTask(worker, i, 4000);
    }
    api.coordinator.tasks().sweep();

    assertThat(metric("rma_tasks_forgotten_early_total")).isGreaterThan(forgottenBefore);
    assertThat((long) api.coordinator.tasks().stats().get("held_bytes"))
        .isLessThanOrEqualTo(1024 * 1024);
    HttpResponse<String> again = resend(0);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
    assertThat(json(again).get("task_id").asText()).isNotEqualTo(first);
  }

  @Test
  void withAFileKeysAndResultsOutliveTheMemoryBudgetUntilTheirRetention() {
    Map<String, String> env = new HashMap<>();
    env.put("RMA_TASK_RETENTION", "1h");
    env.put("RMA_TASK_MEMORY_MIB", "1");
    env.put("DATABASE_PATH", dir.resolve("rma.db").toString());
    start(env);
    PullWorker worker = PullWorker.register(api, "rag");
    double evictedBefore = metric("rma_tasks_evicted_to_disk_total");
    double forgottenBefore = metric("rma_tasks_forgotten_early_total");
    String first = runTask(worker, 0, 4000);
    for (int i = 1; i < 400; i++) {
      runTask(worker, i, 4000);
    }
    api.coordinator.tasks().sweep();
    assertThat(metric("rma_tasks_evicted_to_disk_total")).isGreaterThan(evictedBefore);
    assertThat(metric("rma_tasks_forgotten_early_total")).isEqualTo(forgottenBefore);
    assertThat((long) api.coordinator.tasks().stats().get("held_bytes"))
        .isLessThanOrEqualTo(1024 * 1024);

    // Memory let the first go; the file answers for it: the key, the result, a late answer.
    HttpResponse<String> again = resend(0);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
    assertThat(json(again).get("task_id").asText()).isEqualTo(first);
    JsonNode status = api.get("/api/inference/tasks/" + first).json();
    assertThat(status.get("status").asText()).isEqualTo("completed");
    assertThat(status.get("result").get("answer").asInt()).isZero();
    assertThat(
            worker
                .post(
                    "/api/worker/tasks/" + first + "/result",
                    "{\"worker_id\": \"" + worker.id + "\", \"result\": {\"answer\": 1}}")
                .status())
        .isEqualTo(409);

    // After a restart too (memory is filled again, newest first, within the budget).
    api.close();
    start(env);
    worker = worker.on(api);
    HttpResponse<String> afterRestart = resend(0);
    assertThat(json(afterRestart).get("task_id").asText()).isEqualTo(first);

    // Past its retention the file forgets it as well.
    clock.advance(Duration.ofMinutes(61));
    worker.heartbeat();
    api.coordinator.tasks().sweep();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> rowsInTheFile(env).stream().noneMatch(t -> t.id().equals(first)));
    HttpResponse<String> later = resend(0);
    assertThat(later.statusCode()).as(later.body()).isEqualTo(202);
    assertThat(json(later).get("task_id").asText()).isNotEqualTo(first);
  }
}
