package io.rma.coordinator.tasks;

import static io.rma.coordinator.tasks.PullWorker.client;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.pool.SqliteWorkerRepository;
import io.rma.coordinator.pool.StandaloneWorkerStore;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.security.EndpointPolicy;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.CoordinatorFixture.Answer;
import io.rma.coordinator.testing.MutableClock;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The database file fills up while the coordinator runs, and space comes back. A full disk is
 * simulated with SQLite's {@code max_page_count} on the coordinator's own two connections (workers
 * and tasks), which makes every write that needs a new page fail with {@code SQLITE_FULL}, as a
 * full file system does. Every answer must tell the truth about what is stored, readiness is DOWN
 * while writes fail, and the file takes writes again without a restart.
 */
class DiskFullTest {
  /** Bigger than a page (4 KiB): storing it always needs new pages. */
  private static final String BIG = "x".repeat(8192);

  @TempDir Path dir;
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private SqliteWorkerRepository workerFile;
  private SqliteTaskRepository taskFile;
  private CoordinatorFixture api;

  private CoordinatorFixture open() {
    Path file = dir.resolve("rma.db");
    workerFile = new SqliteWorkerRepository(file);
    taskFile = new SqliteTaskRepository(file);
    api =
        new CoordinatorFixture(
            new Coordinator(
                ConfigLoader.load(Map.of("DATABASE_PATH", file.toString())),
                new StandaloneWorkerStore(workerFile, "default", clock),
                taskFile,
                clock,
                "standalone",
                () -> true,
                EndpointPolicy.Resolver.SYSTEM));
    return api;
  }

  @AfterEach
  void close() {
    if (api != null) {
      api.close();
    }
  }

  private void full(boolean full) {
    workerFile.simulateFull(full);
    taskFile.simulateFull(full);
  }

  private static String bigTask(String name) {
    return "{\"service\": \"rag\", \"request\": {\"query\": \""
        + name
        + "\", \"pad\": \""
        + BIG
        + "\"}}";
  }

  private HttpResponse<String> submit(String name) {
    return client(
        api,
        "POST",
        "/api/inference/tasks",
        bigTask(name),
        Map.of("Prefer", "respond-async", "Idempotency-Key", name));
  }

  /** A worker that declares many models: its document is bigger than a page. */
  private Answer registerBigWorker() {
    StringBuilder models = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      models
          .append(i == 0 ? "" : ", ")
          .append("\"model-")
          .append(i)
          .append("-")
          .append("m".repeat(120))
          .append('"');
    }
    return api.post(
        "/api/worker/register",
        "{\"capabilities\": {\"cpu_cores\": 4, \"ram\": \"16GB\"}, \"mode\": \"pull\","
            + " \"services\": [\"ner\"], \"models\": ["
            + models
            + "]}");
  }

  @Test
  void aFullFileRefusesWhatItCannotStoreAndTakesWritesAgainWhenSpaceComesBack() {
    open();
    PullWorker worker = PullWorker.register(api, "rag");
    HttpResponse<String> first = submit("before");
    assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
    JsonNode leased = worker.pollOne();

    full(true);
    // Pages the file has free still take a task or two; then it is full.
    List<String> accepted = new ArrayList<>();
    int n = 0;
    for (; n < 50; n++) {
      HttpResponse<String> r = submit("while-full-" + n);
      if (r.statusCode() == 503) {
        assertThat(r.body()).contains("could not be stored", "full");
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        break;
      }
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      accepted.add("while-full-" + n);
    }
    List<String> refused = new ArrayList<>();
    List<Integer> answers = new ArrayList<>();
    for (int i = n; i < n + 4; i++) {
      refused.add("while-full-" + i);
      answers.add(i == n ? 503 : submit("while-full-" + i).statusCode());
    }
    assertThat(answers).as("task submissions once the file is full").containsOnly(503);
    Answer result = worker.answer(leased, "{\"answer\": \"" + BIG + "\"}");
    assertThat(result.status()).as(result.body()).isEqualTo(503);
    Answer registration = registerBigWorker();
    assertThat(registration.status()).as(registration.body()).isEqualTo(503);

    Answer ready = api.get("/observe/health/ready");
    assertThat(ready.status()).as(ready.body()).isEqualTo(503);
    JsonNode health = api.get("/api/admin/health").json();
    assertThat(health.get("status").asText()).isEqualTo("unhealthy");
    assertThat(health.get("store_ready").asBoolean()).isFalse();
    assertThat(health.get("store_error").asText()).contains("full");
    assertThat(health.get("task_journal").get("ready").asBoolean()).isFalse();
    assertThat(health.get("task_journal").get("error").asText()).contains("full");
    // What was refused is not there to be read either.
    assertThat(
            api.get("/api/inference/tasks/" + leased.get("task_id").asText())
                .json()
                .get("status")
                .asText())
        .isEqualTo("leased");

    full(false);
    // Readiness comes back by itself: nothing else writes while it is DOWN.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> api.get("/observe/health/ready").status() == 200);
    assertThat(api.get("/api/admin/health").json().get("status").asText())
        .isNotEqualTo("unhealthy");

    HttpResponse<String> again = submit(refused.get(0));
    assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
    Answer retried = worker.answer(leased, "{\"answer\": \"" + BIG + "\"}");
    assertThat(retried.status()).as(retried.body()).isEqualTo(200);
    Answer registered = registerBigWorker();
    assertThat(registered.status()).as(registered.body()).isEqualTo(200);

    // After a restart the file holds exactly what was acknowledged.
    api.close();
    api = null;
    open();
    JsonNode before = api.get("/api/inference/tasks/" + leased.get("task_id").asText()).json();
    assertThat(before.get("status").asText()).isEqualTo("completed");
    assertThat(before.get("result").get("answer").asText()).isEqualTo(BIG);
    assertThat(api.coordinator.tasks().stats())
        .containsEntry("queued", accepted.size() + 1)
        .containsEntry("completed", 1);
    for (String key : accepted) {
      assertThat(api.coordinator.tasks().byIdempotencyKey(key)).as(key).isPresent();
    }
    assertThat(api.coordinator.tasks().byIdempotencyKey(refused.get(0))).isPresent();
    for (String key : refused.subList(1, refused.size())) {
      assertThat(api.coordinator.tasks().byIdempotencyKey(key)).as(key).isEmpty();
    }
    assertThat(api.coordinator.store().list()).hasSize(2);
  }
}
