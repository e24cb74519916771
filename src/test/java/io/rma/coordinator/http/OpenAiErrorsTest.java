package io.rma.coordinator.http;

import static io.rma.coordinator.http.RoutingHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's own errors on the OpenAI-compatible routes carry OpenAI's {@code error} object
 * beside {@code detail}; workers' answers and the other routes' errors are left as they were.
 */
class OpenAiErrorsTest extends RoutingTestBase {
  private static final Map<String, Object> COMPLETION = Map.of("model", "m", "prompt", "Hi");

  private final CountDownLatch release = new CountDownLatch(1);

  /** Lets a stalled stub worker answer before the base class closes it. */
  @AfterEach
  void release() {
    release.countDown();
  }

  @Test
  void noWorkerOnCompletionsIsA503ServerErrorNamedNoWorkerAvailable() {
    RoutingHarness c = closeLater(harness());

    HttpResponse<String> r = c.post("/v1/completions", COMPLETION);

    assertThat(r.statusCode()).isEqualTo(503);
    JsonNode body = json(r);
    assertThat(body.get("detail").asText()).contains("no worker available", "vllm");
    assertOpenAiError(body, "server_error", "no_worker_available");
    assertThat(r.headers().firstValue("retry-after")).hasValue("1");
  }

  @Test
  void aModelNoWorkerServesIsA404ModelNotFoundAndOneThatIsBusyA503WithRetryAfter()
      throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker w = closeLater(new StubWorker("w1"));
    String id = c.register(w, "vllm", List.of("llama-3"));

    HttpResponse<String> unknown =
        c.post("/v1/chat/completions", Map.of("model", "gpt-9", "messages", List.of()));
    assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(404);
    assertThat(json(unknown).get("detail").asText()).contains("gpt-9", "does not exist");
    assertOpenAiError(json(unknown), "invalid_request_error", "model_not_found");
    HttpResponse<String> unknownLlm =
        c.post("/api/inference/llm", Map.of("model", "gpt-9", "prompt", "Hi"));
    assertThat(unknownLlm.statusCode()).isEqualTo(404);

    c.heartbeat(id, 0.95, "healthy"); // above the load ceiling: it has the model, but not now
    HttpResponse<String> busy =
        c.post("/v1/chat/completions", Map.of("model", "llama-3", "messages", List.of()));
    assertThat(busy.statusCode()).as(busy.body()).isEqualTo(503);
    assertThat(busy.headers().firstValue("retry-after")).hasValue("1");
    assertOpenAiError(json(busy), "server_error", "no_worker_available");
  }

  @Test
  void malformedJsonOnChatIsAnInvalidRequestError() {
    RoutingHarness c = closeLater(harness());

    HttpResponse<String> r = c.postRaw("/v1/chat/completions", "{not json");

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("detail").asText()).startsWith("malformed JSON body");
    assertOpenAiError(json(r), "invalid_request_error", null);
  }

  @Test
  void anUnknownV1PathIsA404InvalidRequestError() {
    RoutingHarness c = closeLater(harness());

    HttpResponse<String> r = c.post("/v1/embeddings", Map.of("input", "x"));

    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(json(r).get("detail").asText()).isEqualTo("no such endpoint: POST /v1/embeddings");
    assertOpenAiError(json(r), "invalid_request_error", null);
  }

  @Test
  void aBodyOverTheCapIsA413NamedBodyTooLarge() {
    RoutingHarness c = closeLater(harness(Map.of("RMA_MAX_INFERENCE_BODY_BYTES", "1024")));

    HttpResponse<String> r = c.post("/v1/completions", Map.of("prompt", "x".repeat(2000)));

    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(json(r).get("detail").asText()).contains("1024");
    assertOpenAiError(json(r), "invalid_request_error", "body_too_large");
  }

  @Test
  void thePerClientLimitIsA429RateLimitErrorKeepingRetryAfter() {
    RoutingHarness c = closeLater(harness(Map.of("RMA_INFERENCE_PER_SECOND", "2")));

    // A burst of 2, then 2 per second: a quick run of requests meets the limit.
    List<Integer> statuses = new ArrayList<>();
    HttpResponse<String> r;
    do {
      r = c.post("/v1/chat/completions", COMPLETION);
      statuses.add(r.statusCode());
    } while (r.statusCode() != 429 && statuses.size() < 50);

    assertThat(statuses).startsWith(503, 503).endsWith(429);
    JsonNode body = json(r);
    assertThat(body.get("detail").asText()).contains("too many inference requests");
    assertThat(r.headers().firstValue("retry-after"))
        .hasValue(body.get("retry_after").asText())
        .hasValue("1");
    assertOpenAiError(body, "rate_limit_error", "rate_limited");
  }

  @Test
  void whenTheWorkersFailTheAnswerIsA502NamedWorkerFailedStillNamingWhatWasTried()
      throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker w = closeLater(new StubWorker("w"));
    w.on("/v1/completions", (ex, b) -> StubWorker.json(ex, 503, Map.of("detail", "loading")));
    String id = c.register(w, "vllm", List.of());

    HttpResponse<String> r = c.post("/v1/completions", COMPLETION);

    assertThat(r.statusCode()).isEqualTo(502);
    JsonNode body = json(r);
    assertThat(body.get("detail").asText()).contains(id + " (answered 503");
    assertThat(body.get("tried").get(0).asText()).isEqualTo(id);
    assertOpenAiError(body, "server_error", "worker_failed");
  }

  @Test
  void aSilentWorkerIsA504NamedWorkerTimeout() throws Exception {
    RoutingHarness c = closeLater(harness(Map.of("RMA_UPSTREAM_TIMEOUT", "300ms")));
    StubWorker w = closeLater(new StubWorker("slow"));
    w.on(
        "/v1/chat/completions",
        (ex, b) -> {
          release.await(20, TimeUnit.SECONDS);
          StubWorker.json(ex, 200, Map.of("late", true));
        });
    c.register(w, "vllm", List.of());

    HttpResponse<String> r = c.post("/v1/chat/completions", COMPLETION);

    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(json(r).get("detail").asText()).startsWith("timed out");
    assertOpenAiError(json(r), "server_error", "worker_timeout");
  }

  @Test
  void aWorkersOwnErrorAnswerPassesThroughUnchanged() throws Exception {
    RoutingHarness c = closeLater(harness());
    String workerBody = "{\"detail\":\"prompt too long for this model\",\"object\":\"error\"}";
    StubWorker w = closeLater(new StubWorker("w"));
    w.on(
        "/v1/completions",
        (ex, b) -> {
          byte[] bytes = workerBody.getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().set("Content-Type", "application/json");
          ex.sendResponseHeaders(400, bytes.length);
          ex.getResponseBody().write(bytes);
        });
    c.register(w, "vllm", List.of());

    HttpResponse<String> r = c.post("/v1/completions", COMPLETION);

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).isEqualTo(workerBody);
  }

  @Test
  void aPullTaskWithNoResultInTimeIsA504KeepingItsLocationAndTaskFields() {
    RoutingHarness c = closeLater(harness());
    c.register(
        Map.of(
            "capabilities", Map.of("cpu_cores", 8, "ram", "32GB"),
            "services", List.of("vllm"),
            "mode", "pull"));

    HttpResponse<String> r =
        c.send(
            HttpRequest.newBuilder(c.uri("/v1/completions"))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .header("Prefer", "wait=1")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\"}"))
                .build());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
    JsonNode body = json(r);
    assertThat(r.headers().firstValue("location")).hasValue(body.get("status_url").asText());
    assertThat(body.get("detail").asText()).startsWith("no result within 1s");
    assertThat(body.get("task_id").asText()).isNotEmpty();
    assertOpenAiError(body, "server_error", "worker_timeout");
  }

  @Test
  void errorsOutsideV1KeepTheirDetailOnlyBody() {
    RoutingHarness c = closeLater(harness());

    HttpResponse<String> llm = c.post("/api/inference/llm", Map.of("prompt", "Hi"));
    HttpResponse<String> unknown = c.get("/api/nothing-here");

    assertThat(llm.statusCode()).isEqualTo(503);
    assertThat(fieldNames(json(llm))).containsExactly("detail");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body())
        .isEqualTo("{\"detail\":\"no such endpoint: GET /api/nothing-here\"}");
  }

  /** Both key sets: {@code detail} as always, and OpenAI's {@code error} with the same message. */
  private static void assertOpenAiError(JsonNode body, String type, String code) {
    JsonNode error = body.get("error");
    assertThat(error).as(body.toString()).isNotNull();
    assertThat(fieldNames(error)).containsExactly("message", "type", "param", "code");
    assertThat(error.get("message").asText()).isEqualTo(body.get("detail").asText());
    assertThat(error.get("type").asText()).isEqualTo(type);
    assertThat(error.get("param").isNull()).isTrue();
    if (code == null) {
      assertThat(error.get("code").isNull()).as(error.toString()).isTrue();
    } else {
      assertThat(error.get("code").asText()).isEqualTo(code);
    }
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
