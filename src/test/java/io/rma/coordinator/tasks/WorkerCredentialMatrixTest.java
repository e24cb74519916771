package io.rma.coordinator.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.MutableClock;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every call a worker makes about itself, made about worker A with no credential (401) and with
 * worker B's (403): heartbeat, task poll, task result, task-complete, unregister.
 */
class WorkerCredentialMatrixTest {
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private CoordinatorFixture api;

  @BeforeEach
  void start() {
    api = new CoordinatorFixture(Map.of("RMA_REGISTRATIONS_PER_MINUTE", "0"), clock);
  }

  @AfterEach
  void stop() {
    api.close();
  }

  @Test
  void workerBCannotActAsWorkerA() {
    PullWorker a = PullWorker.register(api, "rag");
    PullWorker b = PullWorker.register(api, "rag");
    api.send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(api.url("/api/inference/tasks")))
            .header("Prefer", "respond-async")
            .POST(
                java.net.http.HttpRequest.BodyPublishers.ofString(
                    "{\"service\": \"rag\", \"request\": {\"query\": \"q\"}}")),
        null);
    JsonNode task = a.pollOne();
    String taskId = task.get("task_id").asText();
    String result =
        "{\"worker_id\": \"" + a.id + "\", \"attempt\": 1, \"result\": {\"answer\": 1}}";
    String complete =
        "{\"worker_id\": \"" + a.id + "\", \"task_id\": \"" + taskId + "\", \"result\": {}}";
    String beat = "{\"worker_id\": \"" + a.id + "\"}";

    Map<String, Integer> noCredential = new java.util.LinkedHashMap<>();
    noCredential.put("heartbeat", api.post("/api/worker/heartbeat", beat).status());
    noCredential.put("tasks", api.get("/api/worker/tasks?worker_id=" + a.id).status());
    noCredential.put(
        "result", api.post("/api/worker/tasks/" + taskId + "/result", result).status());
    noCredential.put("task-complete", api.post("/api/worker/task-complete", complete).status());
    noCredential.put("unregister", api.delete("/api/worker/unregister/" + a.id, null).status());
    assertThat(noCredential)
        .allSatisfy((call, status) -> assertThat(status).as(call).isEqualTo(401));

    Map<String, Integer> othersCredential = new java.util.LinkedHashMap<>();
    othersCredential.put("heartbeat", api.post("/api/worker/heartbeat", beat, b.token).status());
    othersCredential.put("tasks", api.get("/api/worker/tasks?worker_id=" + a.id, b.token).status());
    othersCredential.put(
        "result", api.post("/api/worker/tasks/" + taskId + "/result", result, b.token).status());
    othersCredential.put(
        "task-complete", api.post("/api/worker/task-complete", complete, b.token).status());
    othersCredential.put(
        "unregister", api.delete("/api/worker/unregister/" + a.id, b.token).status());
    assertThat(othersCredential)
        .allSatisfy((call, status) -> assertThat(status).as(call).isEqualTo(403));

    // A's own credential still works for all of them.
    assertThat(api.post("/api/worker/heartbeat", beat, a.token).status()).isEqualTo(200);
    assertThat(api.post("/api/worker/tasks/" + taskId + "/result", result, a.token).status())
        .isEqualTo(200);
    assertThat(api.delete("/api/worker/unregister/" + a.id, a.token).status()).isEqualTo(200);
  }
}
