package io.rma.coordinator.http;

import static io.rma.coordinator.http.RoutingHarness.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Selection, failover, errors and streaming, with real stub workers. */
class RoutingBehaviourTest extends RoutingTestBase {

  private final CountDownLatch release = new CountDownLatch(1);

  /** Lets the stub workers' streams end before the base class closes them. */
  @AfterEach
  void release() {
    release.countDown();
  }

  private static String worker(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json(r).get("worker").asText();
  }

  @Test
  void noCandidateIs503NamingWhyEachWorkerWasSkipped() throws Exception {
    RoutingHarness c = closeLater(harness());
    HttpResponse<String> none = c.post("/api/inference/llm", Map.of("prompt", "Hi"));
    assertThat(none.statusCode()).isEqualTo(503);
    assertThat(json(none).get("detail").asText()).contains("vllm", "no worker registered");

    StubWorker busy = closeLater(new StubWorker("busy"));
    String busyId = c.register(busy, "vllm", List.of());
    c.heartbeat(busyId, 0.95, "healthy");
    StubWorker pull = closeLater(new StubWorker("pull"));
    // A pull worker of the service would take the request from the queue: this one serves
    // another model, so nothing can.
    c.register(
        Map.of(
            "capabilities", Map.of("cpu_cores", 8, "ram", "32GB"),
            "services", List.of("vllm"),
            "models", List.of("mistral"),
            "mode", "pull"));

    HttpResponse<String> r =
        c.post("/api/inference/llm", Map.of("prompt", "Hi", "model", "llama3"));
    assertThat(r.statusCode()).isEqualTo(503);
    String detail = json(r).get("detail").asText();
    assertThat(detail).contains(busyId + ": load 0.95 above the ceiling 0.80", "pull mode");
    assertThat(busy.hits.get() + pull.hits.get()).isZero();
  }

  @Test
  void aWorkerAnswering503IsFailedOverAndThenEjected() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker sick = closeLater(new StubWorker("sick"));
    sick.on(
        "/v1/completions", (ex, b) -> StubWorker.json(ex, 503, Map.of("detail", "model loading")));
    StubWorker well = closeLater(new StubWorker("well"));
    c.register(sick, "vllm", List.of());
    c.register(well, "vllm", List.of());

    for (int i = 0; i < 30; i++) {
      assertThat(worker(c.post("/api/inference/llm", Map.of("prompt", "Hi")))).isEqualTo("well");
    }
    // three consecutive failures (RMA_EJECT_AFTER_FAILURES) took it out of rotation
    assertThat(sick.hits.get()).isEqualTo(3);
    String metrics = c.get("/observe/metrics").body();
    assertThat(metrics)
        .containsPattern("rma_routed_requests_total\\{.*outcome=\"answered\".*route=\"llm\"")
        .contains("rma_route_failovers_total");
  }

  @Test
  void whenEveryWorkerFailsTheAnswerIs502NamingWhatWasTried() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker a = closeLater(new StubWorker("a"));
    a.on("/v1/completions", (ex, b) -> StubWorker.json(ex, 502, Map.of("detail", "bad gateway")));
    String aId = c.register(a, "vllm", List.of());
    StubWorker gone = closeLater(new StubWorker("gone"));
    String goneId = c.register(gone, "vllm", List.of());
    gone.kill();

    HttpResponse<String> r = c.post("/api/inference/llm", Map.of("prompt", "Hi"));

    assertThat(r.statusCode()).isEqualTo(502);
    JsonNode body = json(r);
    assertThat(body.get("detail").asText())
        .contains(aId + " (answered 502", goneId + " (connection refused)");
    assertThat(body.get("tried")).hasSize(2);
  }

  @Test
  void aWorkerThatDropsAStartedRequestIsNotRetriedUnlessIdempotent() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker dropper = closeLater(new StubWorker("dropper"));
    AtomicInteger llmCalls = new AtomicInteger();
    StubWorker.Handler drop =
        (ex, b) -> {
          // the request was read; hang up without answering
          llmCalls.incrementAndGet();
        };
    dropper.on("/v1/completions", drop).on("/query", drop);
    String id = c.register(dropper, "vllm", List.of());
    c.register(dropper, "rag", List.of());

    HttpResponse<String> r = c.post("/api/inference/llm", Map.of("prompt", "Hi"));
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(json(r).get("detail").asText()).contains(id, "not idempotent");
    assertThat(llmCalls.get()).isEqualTo(1);

    // the same on a kept-alive connection: the first answer came, the second request was read
    // and the worker hung up
    AtomicInteger calls = new AtomicInteger();
    dropper.on(
        "/v1/completions",
        (ex, b) -> {
          if (calls.incrementAndGet() == 1) {
            StubWorker.json(ex, 200, Map.of("worker", "dropper"));
          }
        });
    assertThat(worker(c.post("/api/inference/llm", Map.of("prompt", "Hi")))).isEqualTo("dropper");
    HttpResponse<String> stale = c.post("/api/inference/llm", Map.of("prompt", "Hi"));
    assertThat(stale.statusCode()).isEqualTo(502);
    assertThat(json(stale).get("detail").asText())
        .contains("the worker closed the connection before answering", "not idempotent");

    // rag is idempotent in the catalogue: the second rag worker answers
    StubWorker rag = closeLater(new StubWorker("rag-ok"));
    c.register(rag, "rag", List.of());
    for (int i = 0; i < 5; i++) {
      assertThat(worker(c.post("/api/inference/rag/query", Map.of("query", "q"))))
          .isEqualTo("rag-ok");
    }
  }

  @Test
  void aSilentWorkerIs504AfterTheUpstreamTimeout() throws Exception {
    RoutingHarness c = closeLater(harness(Map.of("RMA_UPSTREAM_TIMEOUT", "400ms")));
    StubWorker slow = closeLater(new StubWorker("slow"));
    slow.on(
        "/v1/completions",
        (ex, b) -> {
          waitFor(release);
          StubWorker.json(ex, 200, Map.of("late", true));
        });
    String id = c.register(slow, "vllm", List.of());

    long start = System.nanoTime();
    HttpResponse<String> r = c.post("/api/inference/llm", Map.of("prompt", "Hi"));

    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(json(r).get("detail").asText()).contains(id, "no answer within 400ms");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void killingAWorkerMidRunLosesNoRequestWhenAnotherCanServe() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker a = closeLater(new StubWorker("a"));
    StubWorker b = closeLater(new StubWorker("b"));
    c.register(a, "rag", List.of());
    c.register(b, "rag", List.of());

    // rag is idempotent in the catalogue: requests that were on worker a when it died are sent
    // to b, and new ones find a's connections refused.
    ExecutorService clients = Executors.newFixedThreadPool(4);
    try {
      AtomicInteger sent = new AtomicInteger();
      List<Future<List<Integer>>> runs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        runs.add(
            clients.submit(
                () -> {
                  List<Integer> statuses = new ArrayList<>();
                  for (int i = 0; i < 100; i++) {
                    statuses.add(
                        c.post("/api/inference/rag/query", Map.of("query", "q")).statusCode());
                    sent.incrementAndGet();
                  }
                  return statuses;
                }));
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> sent.get() >= 100);
      a.kill();
      List<Integer> all = new ArrayList<>();
      for (Future<List<Integer>> run : runs) {
        all.addAll(run.get(30, TimeUnit.SECONDS));
      }
      assertThat(all).hasSize(400).containsOnly(200);
      assertThat(a.hits.get()).isPositive();
    } finally {
      clients.shutdownNow();
    }
  }

  @Test
  void aDeadWorkerCostsAtMostTheRequestThatRacedItsCloseThoughLlmIsNotRetriedOnceStarted()
      throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker a = closeLater(new StubWorker("a"));
    StubWorker b = closeLater(new StubWorker("b"));
    c.register(a, "vllm", List.of());
    c.register(b, "vllm", List.of());

    for (int i = 0; i < 50; i++) {
      assertThat(c.post("/api/inference/llm", Map.of("prompt", "Hi")).statusCode()).isEqualTo(200);
    }
    int before = a.hits.get();
    assertThat(before).isPositive();
    // Gone between two requests: new connections to it are refused before anything is sent, and
    // WebClient's pool drops a kept-alive connection once it sees the worker's close. Until it has
    // (a parked read, woken a moment later), the one idle connection this client used may still
    // be taken: that request gets a 502, as it may have started and llm is not idempotent. Never
    // more than that one, and nothing reaches the dead worker.
    a.kill();
    int raced = 0;
    for (int i = 0; i < 50; i++) {
      HttpResponse<String> r = c.post("/api/inference/llm", Map.of("prompt", "Hi"));
      if (r.statusCode() == 502) {
        assertThat(json(r).get("detail").asText())
            .contains("closed the connection before answering");
        raced++;
      } else {
        assertThat(worker(r)).isEqualTo("b");
      }
    }
    assertThat(raced)
        .as("requests that raced the pool's notice of the close")
        .isLessThanOrEqualTo(1);
    assertThat(a.hits.get()).isEqualTo(before);
  }

  @Test
  void loadSpreadsOverTwoWorkersAndSkipsOneAboveTheCeiling() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker a = closeLater(new StubWorker("a"));
    StubWorker b = closeLater(new StubWorker("b"));
    String aId = c.register(a, "vllm", List.of());
    c.register(b, "vllm", List.of());

    ExecutorService clients = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        runs.add(
            clients.submit(
                () -> {
                  for (int i = 0; i < 125; i++) {
                    assertThat(c.post("/api/inference/llm", Map.of("prompt", "Hi")).statusCode())
                        .isEqualTo(200);
                  }
                }));
      }
      for (Future<?> run : runs) {
        run.get(60, TimeUnit.SECONDS);
      }
    } finally {
      clients.shutdownNow();
    }
    assertThat(a.hits.get() + b.hits.get()).isEqualTo(1000);
    assertThat(a.hits.get()).isBetween(400, 600);
    assertThat(b.hits.get()).isBetween(400, 600);

    c.heartbeat(aId, 0.9, "healthy");
    int before = a.hits.get();
    for (int i = 0; i < 100; i++) {
      assertThat(worker(c.post("/api/inference/llm", Map.of("prompt", "Hi")))).isEqualTo("b");
    }
    assertThat(a.hits.get()).isEqualTo(before);
  }

  @Test
  void aDegradedWorkerServesOnlyWhenNoHealthyOneCan() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker healthy = closeLater(new StubWorker("healthy"));
    StubWorker degraded = closeLater(new StubWorker("degraded"));
    String hId = c.register(healthy, "vllm", List.of());
    String dId = c.register(degraded, "vllm", List.of());
    c.heartbeat(dId, 0.0, "degraded");

    for (int i = 0; i < 20; i++) {
      assertThat(worker(c.post("/api/inference/llm", Map.of("prompt", "Hi")))).isEqualTo("healthy");
    }
    c.heartbeat(hId, 0.99, "healthy");
    assertThat(worker(c.post("/api/inference/llm", Map.of("prompt", "Hi")))).isEqualTo("degraded");
  }

  @Test
  void aRequestNamingAModelGoesToWorkersAdvertisingIt() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker llama = closeLater(new StubWorker("llama"));
    StubWorker mistral = closeLater(new StubWorker("mistral"));
    StubWorker any = closeLater(new StubWorker("any"));
    c.register(llama, "vllm", List.of("llama-3-8b"));
    c.register(mistral, "vllm", List.of("mistral-7b", "mixtral"));
    c.register(any, "vllm", List.of());

    for (int i = 0; i < 10; i++) {
      assertThat(worker(c.post("/api/inference/llm", Map.of("model", "mixtral", "prompt", "x"))))
          .isEqualTo("mistral");
      assertThat(worker(c.post("/v1/completions", Map.of("model", "llama-3-8b", "prompt", "x"))))
          .isEqualTo("llama");
      // nobody advertises it: a worker without a model list takes any model
      assertThat(worker(c.post("/api/inference/llm", Map.of("model", "phi-3", "prompt", "x"))))
          .isEqualTo("any");
    }
  }

  @Test
  void openAiApiRoutesCompletionsChatAndListsModels() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker w = closeLater(new StubWorker("gpu"));
    c.register(w, "vllm", List.of("llama-3-8b"));
    StubWorker w2 = closeLater(new StubWorker("gpu2"));
    String w2Id = c.register(w2, "vllm", List.of("mixtral", "llama-3-8b"));
    StubWorker visionOnly = closeLater(new StubWorker("vision"));
    c.register(visionOnly, "vision", List.of("llava"));

    String raw = "{\"model\":\"llama-3-8b\",\"prompt\":\"Hi\",\"n\":2}";
    HttpResponse<String> completion = c.postRaw("/v1/completions", raw);
    assertThat(completion.statusCode()).as(completion.body()).isEqualTo(200);
    StubWorker.Received got = w.received.isEmpty() ? w2.received.peek() : w.received.peek();
    assertThat(got.path()).isEqualTo("/v1/completions");
    assertThat(got.body()).isEqualTo(StubWorker.JSON.readTree(raw));

    HttpResponse<String> chat =
        c.post(
            "/v1/chat/completions",
            Map.of(
                "model", "mixtral", "messages", List.of(Map.of("role", "user", "content", "Hi"))));
    assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
    assertThat(json(chat).get("worker").asText()).isEqualTo("gpu2");
    assertThat(w2.received.stream().map(StubWorker.Received::path))
        .contains("/v1/chat/completions");

    JsonNode models = json(c.get("/v1/models"));
    assertThat(models.get("object").asText()).isEqualTo("list");
    assertThat(models.get("data").findValuesAsText("id")).containsExactly("llama-3-8b", "mixtral");

    c.heartbeat(w2Id, 0.0, "healthy");
    c.coordinator.store().delete(w2Id);
    assertThat(json(c.get("/v1/models")).get("data").findValuesAsText("id"))
        .containsExactly("llama-3-8b");
  }

  @Test
  void aStreamedAnswerArrivesChunkByChunkBeforeTheWorkerFinishes() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker w = closeLater(new StubWorker("streamer"));
    List<CountDownLatch> firstSeen = List.of(new CountDownLatch(1), new CountDownLatch(1));
    AtomicInteger calls = new AtomicInteger();
    AtomicBoolean finishedEarly = new AtomicBoolean();
    StubWorker.Handler sse =
        (ex, body) -> {
          assertThat(body.get("stream").asBoolean()).isTrue();
          OutputStream out = StubWorker.startStream(ex, "text/event-stream");
          StubWorker.chunk(out, "data: {\"text\":\"first\"}\n\n");
          // the rest only once the client has seen the first chunk
          CountDownLatch seen = firstSeen.get(calls.getAndIncrement());
          if (!seen.await(10, TimeUnit.SECONDS)) {
            finishedEarly.set(true);
          }
          StubWorker.chunk(out, "data: {\"text\":\"second\"}\n\ndata: [DONE]\n\n");
          out.close();
        };
    w.on("/v1/completions", sse).on("/v1/chat/completions", sse);
    c.register(w, "vllm", List.of());

    for (int i = 0; i < 2; i++) {
      String path = i == 0 ? "/api/inference/llm" : "/v1/chat/completions";
      HttpResponse<InputStream> r =
          c.inferenceHttp.send(
              HttpRequest.newBuilder(c.uri(path))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"prompt\":\"Hi\",\"messages\":[],\"stream\":true}"))
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("content-type")).hasValue("text/event-stream");
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
        assertThat(in.readLine()).isEqualTo("data: {\"text\":\"first\"}");
        firstSeen.get(i).countDown();
        List<String> rest = in.lines().filter(l -> !l.isEmpty()).toList();
        assertThat(rest).containsExactly("data: {\"text\":\"second\"}", "data: [DONE]");
      }
      assertThat(finishedEarly).isFalse();
    }
  }

  @Test
  void visionStreamsOllamaNdjsonWhenAsked() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker w = closeLater(new StubWorker("ollama"));
    w.on(
        "/api/generate",
        (ex, body) -> {
          assertThat(body.get("stream").asBoolean()).isTrue();
          OutputStream out = StubWorker.startStream(ex, "application/x-ndjson");
          StubWorker.chunk(out, "{\"response\":\"a\",\"done\":false}\n");
          StubWorker.chunk(out, "{\"response\":\"b\",\"done\":true}\n");
          out.close();
        });
    c.register(w, "vision", List.of());

    HttpResponse<String> r =
        c.post("/api/inference/vision", Map.of("prompt", "What?", "stream", true));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/x-ndjson");
    assertThat(r.body().lines()).hasSize(2);
  }

  @Test
  void aClientLeavingAStreamClosesTheWorkersConnection() throws Exception {
    RoutingHarness c = closeLater(harness());
    StubWorker w = closeLater(new StubWorker("streamer"));
    CountDownLatch workerCut = new CountDownLatch(1);
    w.on(
        "/v1/completions",
        (ex, body) -> {
          OutputStream out = StubWorker.startStream(ex, "text/event-stream");
          try {
            for (int i = 0; i < 2000; i++) { // about 20 s at most
              StubWorker.chunk(out, "data: {\"token\":" + i + "}\n\n");
              if (release.await(10, TimeUnit.MILLISECONDS)) {
                break;
              }
            }
          } catch (IOException e) {
            workerCut.countDown();
          }
        });
    c.register(w, "vllm", List.of());

    try (Socket s = new Socket("127.0.0.1", c.server.port())) {
      byte[] body = "{\"prompt\":\"Hi\",\"stream\":true}".getBytes(StandardCharsets.UTF_8);
      s.getOutputStream()
          .write(
              ("POST /api/inference/llm HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      + "Content-Length: "
                      + body.length
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().write(body);
      s.getOutputStream().flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null && !line.contains("data: {\"token\"")) {
        // status line, headers, chunk sizes
      }
      assertThat(line).contains("data: {\"token\":0}");
    }
    assertThat(workerCut.await(15, TimeUnit.SECONDS)).isTrue();
  }

  private static void waitFor(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
