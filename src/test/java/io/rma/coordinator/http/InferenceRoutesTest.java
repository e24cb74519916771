package io.rma.coordinator.http;

import static io.rma.coordinator.http.RoutingHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each route against real stub workers: what the worker receives, and what the client gets. */
class InferenceRoutesTest extends RoutingTestBase {

  @Test
  void llmGoesToOpenAiCompletionsWithDefaultsAndTheAnswerComesBackUnchanged() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker w = closeLater(new StubWorker("gpu-1"));
    w.on(
        "/v1/completions",
        (ex, body) -> StubWorker.json(ex, 201, Map.of("id", "cmpl-1", "echo", body)));
    c.register(w, "vllm", List.of());

    HttpResponse<String> r =
        c.post("/api/inference/llm", Map.of("model", "llama", "prompt", "Hi", "top_p", 0.9));

    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode sent = w.received.peek().body();
    assertThat(w.received.peek().path()).isEqualTo("/v1/completions");
    assertThat(sent.get("model").asText()).isEqualTo("llama");
    assertThat(sent.get("prompt").asText()).isEqualTo("Hi");
    assertThat(sent.get("max_tokens").asInt()).isEqualTo(512);
    assertThat(sent.get("temperature").asDouble()).isEqualTo(0.7);
    assertThat(sent.get("top_p").asDouble()).isEqualTo(0.9);
    assertThat(json(r))
        .isEqualTo(StubWorker.JSON.createObjectNode().put("id", "cmpl-1").set("echo", sent));
  }

  @Test
  void visionGoesToOllamaGenerateWithStreamFalseAndOptions() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker w = closeLater(new StubWorker("gpu-v"));
    c.register(w, "vision", List.of("llava"));

    Map<String, Object> req = new LinkedHashMap<>();
    req.put("model", "llava");
    req.put("prompt", "What is this?");
    req.put("images", List.of("aGVsbG8="));
    req.put("max_tokens", 64);
    req.put("temperature", 0.2);
    req.put("system", "be brief");
    HttpResponse<String> r = c.post("/api/inference/vision", req);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).get("response").asText()).isEqualTo("a cat");
    StubWorker.Received got = w.received.peek();
    assertThat(got.path()).isEqualTo("/api/generate");
    JsonNode sent = got.body();
    assertThat(sent.get("stream").asBoolean()).isFalse();
    assertThat(sent.get("model").asText()).isEqualTo("llava");
    assertThat(sent.get("images").get(0).asText()).isEqualTo("aGVsbG8=");
    assertThat(sent.get("options").get("num_predict").asInt()).isEqualTo(64);
    assertThat(sent.get("options").get("temperature").asDouble()).isEqualTo(0.2);
    assertThat(sent.get("system").asText()).isEqualTo("be brief");
    assertThat(sent.has("max_tokens")).isFalse();
  }

  @Test
  void ragQueryTakesQueryParametersOrAJsonBody() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker w = closeLater(new StubWorker("cpu-rag"));
    c.register(w, "rag", List.of());

    String q = URLEncoder.encode("what is RMA?", StandardCharsets.UTF_8);
    HttpResponse<String> byParams =
        c.postRaw("/api/inference/rag/query?query=" + q + "&context=docs", "");
    assertThat(byParams.statusCode()).as(byParams.body()).isEqualTo(200);
    assertThat(json(byParams).get("answer").asText()).isEqualTo("42");
    StubWorker.Received first = w.received.poll();
    assertThat(first.path()).isEqualTo("/query");
    assertThat(java.net.URLDecoder.decode(first.query(), StandardCharsets.UTF_8))
        .isEqualTo("query=what is RMA?&context=docs");
    assertThat(first.body().get("query").asText()).isEqualTo("what is RMA?");
    assertThat(first.body().get("context").asText()).isEqualTo("docs");

    HttpResponse<String> byBody =
        c.post("/api/inference/rag/query", Map.of("query", "why?", "top_k", 3));
    assertThat(byBody.statusCode()).isEqualTo(200);
    StubWorker.Received second = w.received.poll();
    assertThat(second.query()).isNull();
    assertThat(second.body().get("query").asText()).isEqualTo("why?");
    assertThat(second.body().get("top_k").asInt()).isEqualTo(3);
  }

  @Test
  void graphExtractTakesTextAsParameterOrBody() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker w = closeLater(new StubWorker("cpu-ner"));
    c.register(w, "ner", List.of());

    HttpResponse<String> byParams = c.postRaw("/api/inference/graph/extract?text=Ada", "");
    assertThat(byParams.statusCode()).as(byParams.body()).isEqualTo(200);
    assertThat(json(byParams).get("entities").get(0).asText()).isEqualTo("Ada Lovelace");
    StubWorker.Received first = w.received.poll();
    assertThat(first.path()).isEqualTo("/extract");
    assertThat(first.body().get("text").asText()).isEqualTo("Ada");

    HttpResponse<String> byBody =
        c.post("/api/inference/graph/extract", Map.of("text", "Ada Lovelace met Babbage"));
    assertThat(byBody.statusCode()).isEqualTo(200);
    assertThat(w.received.poll().body().get("text").asText()).isEqualTo("Ada Lovelace met Babbage");
  }

  @Test
  void aWorkerErrorComesBackUnchanged() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker w = closeLater(new StubWorker("gpu-1"));
    w.on(
        "/v1/completions",
        (ex, body) ->
            StubWorker.json(ex, 400, Map.of("object", "error", "message", "max_tokens too large")));
    c.register(w, "vllm", List.of());

    HttpResponse<String> r = c.post("/api/inference/llm", Map.of("prompt", "Hi"));

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).get("message").asText()).isEqualTo("max_tokens too large");
  }

  @Test
  void badInputIsRefusedWithoutCallingAWorker() throws Exception {
    RoutingHarness c = closeLater(harness(Map.of("RMA_MAX_INFERENCE_BODY_BYTES", "2000")));
    StubWorker w = closeLater(new StubWorker("gpu-1"));
    c.register(w, "vllm", List.of());
    c.register(w, "rag", List.of());
    c.register(w, "vision", List.of());

    assertThat(c.postRaw("/api/inference/llm", "{not json").statusCode()).isEqualTo(400);
    assertThat(c.postRaw("/api/inference/llm", "[1]").statusCode()).isEqualTo(422);
    assertThat(c.post("/api/inference/llm", Map.of("model", "m")).statusCode()).isEqualTo(422);
    assertThat(
            c.post("/api/inference/llm", Map.of("prompt", "x", "max_tokens", "many")).statusCode())
        .isEqualTo(422);
    assertThat(c.post("/api/inference/llm", Map.of("prompt", "x", "stream", "yes")).statusCode())
        .isEqualTo(422);
    assertThat(c.post("/api/inference/vision", Map.of("prompt", "x", "images", "abc")).statusCode())
        .isEqualTo(422);
    assertThat(c.post("/api/inference/rag/query", Map.of("context", "c")).statusCode())
        .isEqualTo(422);
    assertThat(c.post("/v1/completions", Map.of("model", 5)).statusCode()).isEqualTo(422);
    HttpResponse<String> big = c.post("/api/inference/llm", Map.of("prompt", "x".repeat(3000)));
    assertThat(big.statusCode()).isEqualTo(413);
    assertThat(json(big).get("detail").asText()).contains("2000");
    assertThat(w.hits.get()).isZero();
  }

  @Test
  void theCatalogueDecidesPathAndPortAndATunnelUrlWins(@TempDir Path dir) throws Exception {
    StubWorker w = closeLater(new StubWorker("gpu-1"));
    w.on("/custom/complete", (ex, body) -> StubWorker.json(ex, 200, Map.of("custom", true)));
    Path catalogue = dir.resolve("catalogue.yaml");
    Files.writeString(
        catalogue,
        """
        services:
          - name: vllm
            tier: 1
            port: %d
            path: /custom/complete
          - name: rag
            tier: 2
            port: 1
            path: /query
        """
            .formatted(w.port()));
    RoutingHarness c = closeLater(harness(Map.of("RMA_SERVICE_CATALOGUE", catalogue.toString())));
    // no port: the catalogue's port for vllm
    Map<String, Object> noPort = new LinkedHashMap<>();
    noPort.put("capabilities", Map.of("cpu_cores", 8, "ram", "32GB"));
    noPort.put("ip_address", "127.0.0.1");
    noPort.put("services", List.of("vllm"));
    c.register(noPort);
    HttpResponse<String> r = c.post("/api/inference/llm", Map.of("prompt", "Hi"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).get("custom").asBoolean()).isTrue();

    // a tunnel URL is preferred over ip_address and port (here both are wrong)
    StubWorker rag = closeLater(new StubWorker("tunnelled"));
    Map<String, Object> tunnelled = new LinkedHashMap<>();
    tunnelled.put("capabilities", Map.of("cpu_cores", 8, "ram", "32GB"));
    tunnelled.put("ip_address", "192.0.2.1");
    tunnelled.put("port", 9);
    tunnelled.put("tunnel_url", rag.url() + "/");
    tunnelled.put("services", List.of("rag"));
    c.register(tunnelled);
    HttpResponse<String> viaTunnel = c.post("/api/inference/rag/query", Map.of("query", "q"));
    assertThat(viaTunnel.statusCode()).as(viaTunnel.body()).isEqualTo(200);
    assertThat(json(viaTunnel).get("worker").asText()).isEqualTo("tunnelled");
  }
}
