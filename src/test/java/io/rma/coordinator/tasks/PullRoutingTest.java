package io.rma.coordinator.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.CoordinatorFixture.Answer;
import io.rma.coordinator.testing.MutableClock;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The inference routes reach pull workers: with no push worker for the service, the request is
 * queued, a pull worker takes it, and the client gets the worker's result as a push call would.
 */
class PullRoutingTest {
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private CoordinatorFixture api;

  @BeforeEach
  void start() {
    api =
        new CoordinatorFixture(
            Map.of("RMA_REGISTRATIONS_PER_MINUTE", "0", "RMA_TASK_RESULT_WAIT", "20s"), clock);
  }

  @AfterEach
  void stop() {
    api.close();
  }

  @Test
  void anLlmRequestWithOnlyPullWorkersIsAnsweredByOne() throws Exception {
    PullWorker worker = PullWorker.register(api, "vllm");
    CompletableFuture<Answer> client =
        CompletableFuture.supplyAsync(
            () ->
                api.post("/api/inference/llm", "{\"model\": \"llama3\", \"prompt\": \"Say hi\"}"));

    JsonNode task = worker.pollOne();
    assertThat(task.get("service").asText()).isEqualTo("vllm");
    assertThat(task.get("route").asText()).isEqualTo("/v1/completions");
    // The body a vLLM worker's /v1/completions would have been sent, defaults filled in.
    assertThat(task.get("request").get("prompt").asText()).isEqualTo("Say hi");
    assertThat(task.get("request").get("max_tokens").asInt()).isEqualTo(512);
    worker.answer(task, "{\"choices\": [{\"text\": \"hi\"}]}");

    Answer answer = client.get(20, TimeUnit.SECONDS);
    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    // Unchanged, as a push worker's answer would be: no task envelope.
    assertThat(answer.json().get("choices").get(0).get("text").asText()).isEqualTo("hi");
  }

  @Test
  void aRagQueryParameterRequestReachesAPullWorkerAsJson() throws Exception {
    PullWorker worker = PullWorker.register(api, "rag");
    CompletableFuture<Answer> client =
        CompletableFuture.supplyAsync(
            () -> api.post("/api/inference/rag/query?query=what&context=docs", ""));
    JsonNode task = worker.pollOne();
    assertThat(task.get("route").asText()).isEqualTo("/query");
    assertThat(task.get("request").get("query").asText()).isEqualTo("what");
    assertThat(task.get("request").get("context").asText()).isEqualTo("docs");
    worker.answer(task, "{\"answer\": \"42\"}");
    assertThat(client.get(20, TimeUnit.SECONDS).json().get("answer").asText()).isEqualTo("42");
  }

  @Test
  void streamingCannotGoToPullWorkers() {
    PullWorker.register(api, "vllm");
    Answer a = api.post("/api/inference/llm", "{\"prompt\": \"hi\", \"stream\": true}");
    assertThat(a.status()).isEqualTo(503);
    assertThat(a.json().get("detail").asText()).contains("stream");
  }

  @Test
  void anAsyncRequestGets202AndATaskToPoll() {
    PullWorker worker = PullWorker.register(api, "ner");
    Answer accepted =
        api.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(api.url("/api/inference/graph/extract?text=Ada+Lovelace")))
                .header("Prefer", "respond-async")
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()),
            null);
    assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
    String id = accepted.json().get("task_id").asText();
    JsonNode task = worker.pollOne();
    worker.answer(task, "{\"entities\": [\"Ada Lovelace\"]}");
    JsonNode done = api.get("/api/inference/tasks/" + id).json();
    assertThat(done.get("status").asText()).isEqualTo("completed");
    assertThat(done.get("result").get("entities").get(0).asText()).isEqualTo("Ada Lovelace");
  }
}
