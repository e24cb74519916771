package io.rma.coordinator.http;

import static io.rma.coordinator.http.RawHttp.get;
import static io.rma.coordinator.http.RawHttp.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.http.RawHttp.Answer;
import io.rma.coordinator.http.RawHttp.Raw;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The inference fast path at the connection level, over raw sockets, on the event loops (and, in
 * {@link FastPathOnThreadsTest}, on Helidon's connections): keep-alive, pipelining, a connection
 * that changes to other API calls (Helidon's from then on), and the requests it leaves to Helidon
 * (chunked or 100-continue bodies, oversized or malformed heads), which must get the same answers
 * as without it. Which path answered shows in one header: Helidon adds {@code Connection:
 * keep-alive} to its answers, the fast path does not.
 */
class FastPathTest {
  private static final String COMPLETION = "{\"model\":\"m\",\"prompt\":\"Hi\"}";

  private RoutingHarness c;
  private StubWorker worker;

  @BeforeEach
  void start() throws IOException {
    c =
        new RoutingHarness(
            Map.of("RMA_MAX_INFERENCE_BODY_BYTES", "4096", "RMA_EVENT_LOOPS", eventLoops()));
    worker = echo(new StubWorker("w1"), "/v1/completions");
    c.register(worker, "vllm", List.of());
  }

  /** "auto": the event loops in front, as by default; a subclass runs every test without them. */
  String eventLoops() {
    return "auto";
  }

  @AfterEach
  void stop() {
    worker.close();
    c.close();
  }

  @Test
  void servesManyRequestsOnOneKeptAliveConnection() throws IOException {
    try (Raw raw = new Raw(c)) {
      for (int i = 0; i < 5; i++) {
        Answer a = raw.exchange(post("/v1/completions", COMPLETION, ""));
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        assertThat(a.fastPath()).isTrue();
        assertThat(a.json().get("worker").asText()).isEqualTo("w1");
      }
    }
    assertThat(worker.hits.get()).isEqualTo(5);
  }

  @Test
  void answersPipelinedRequestsInOrder() throws IOException {
    try (Raw raw = new Raw(c)) {
      raw.write(
          post("/v1/completions", "{\"prompt\":\"one\"}", "")
              + post("/api/inference/llm", "{\"prompt\":\"two\"}", "")
              + get("/v1/models"));
      Answer one = raw.read();
      Answer two = raw.read();
      Answer models = raw.read();
      assertThat(one.json().get("got").get("prompt").asText()).isEqualTo("one");
      assertThat(two.json().get("got").get("prompt").asText()).isEqualTo("two");
      assertThat(two.json().get("got").get("max_tokens").asInt()).isEqualTo(512);
      assertThat(models.json().get("object").asText()).isEqualTo("list");
      assertThat(List.of(one, two, models)).allMatch(Answer::fastPath);
    }
  }

  @Test
  void aConnectionThatTurnsToOtherCallsIsHelidonsFromThenOn() throws IOException {
    try (Raw raw = new Raw(c)) {
      Answer first = raw.exchange(post("/v1/completions", COMPLETION, ""));
      Answer stats = raw.exchange(get("/api/admin/stats"));
      Answer after = raw.exchange(post("/v1/completions", COMPLETION, ""));
      assertThat(first.fastPath()).isTrue();
      assertThat(stats.status()).isEqualTo(200);
      assertThat(stats.json().get("total_workers").asInt()).isEqualTo(1);
      assertThat(stats.fastPath()).isFalse();
      assertThat(after.status()).isEqualTo(200);
      assertThat(after.fastPath()).isFalse();
      assertThat(after.body()).isEqualTo(first.body());
    }
  }

  @Test
  void leavesChunkedAndContinueBodiesToHelidon() throws IOException {
    String body = "{\"prompt\":\"chunked\"}";
    try (Raw raw = new Raw(c)) {
      Answer chunked =
          raw.exchange(
              "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Transfer-Encoding: chunked\r\n\r\n"
                  + Integer.toHexString(body.length())
                  + "\r\n"
                  + body
                  + "\r\n0\r\n\r\n");
      assertThat(chunked.status()).isEqualTo(200);
      assertThat(chunked.json().get("got").get("prompt").asText()).isEqualTo("chunked");
      assertThat(chunked.fastPath()).isFalse();
    }
    try (Raw raw = new Raw(c)) {
      raw.write(
          "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + "Expect: 100-continue\r\nContent-Length: "
              + body.length()
              + "\r\n\r\n");
      Answer proceed = raw.read();
      assertThat(proceed.status()).isEqualTo(100);
      raw.write(body);
      Answer answer = raw.read();
      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.json().get("got").get("prompt").asText()).isEqualTo("chunked");
    }
  }

  @Test
  void badRequestsGetTheSameJsonErrorsEitherWay() throws IOException {
    try (Raw raw = new Raw(c)) {
      Answer malformed = raw.exchange(post("/v1/completions", "{not json", ""));
      assertThat(malformed.status()).isEqualTo(400);
      assertThat(malformed.json().get("detail").asText()).contains("JSON");
      assertThat(malformed.fastPath()).isTrue();
      Answer wrongType =
          raw.exchange(post("/api/inference/llm", "{\"prompt\":\"x\",\"stream\":1}", ""));
      assertThat(wrongType.status()).isEqualTo(422);
      Answer noRoute = raw.exchange(post("/v1/nothing-here", "{}", ""));
      assertThat(noRoute.status()).isEqualTo(404);
      assertThat(noRoute.json().get("detail").asText()).contains("/v1/nothing-here");
    }
    try (Raw raw = new Raw(c)) {
      Answer tooLarge =
          raw.exchange(post("/v1/completions", "{\"prompt\":\"" + "x".repeat(5000) + "\"}", ""));
      assertThat(tooLarge.status()).isEqualTo(413);
      assertThat(tooLarge.json().get("detail").asText()).contains("4096");
    }
    try (Raw raw = new Raw(c)) {
      Answer noHost = raw.exchange("POST /v1/completions HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
      assertThat(noHost.status()).isEqualTo(400);
    }
    try (Raw raw = new Raw(c)) {
      Answer badHeader =
          raw.exchange(
              "POST /v1/completions HTTP/1.1\r\nHost: x\r\nBad Header: y\r\nContent-Length: 2\r\n\r\n{}");
      assertThat(badHeader.status()).isEqualTo(400);
    }
  }

  @Test
  void noWorkerIsA503AndConnectionCloseIsHonoured() throws IOException {
    try (Raw raw = new Raw(c)) {
      Answer none = raw.exchange(post("/api/inference/vision", "{\"prompt\":\"x\"}", ""));
      assertThat(none.status()).isEqualTo(503);
      assertThat(none.json().get("detail").asText()).contains("none runs vision");
      assertThat(none.fastPath()).isTrue();
      Answer last = raw.exchange(post("/v1/completions", COMPLETION, "Connection: close\r\n"));
      assertThat(last.status()).isEqualTo(200);
      assertThat(last.headers().get("connection")).isEqualTo("close");
      assertThat(raw.in.read()).as("the server closed the connection").isEqualTo(-1);
    }
  }

  @Test
  void stoppingTheServerEndsIdleFastPathConnections() throws IOException {
    try (Raw raw = new Raw(c)) {
      assertThat(raw.exchange(post("/v1/completions", COMPLETION, "")).fastPath()).isTrue();
      long start = System.nanoTime();
      assertTimeoutPreemptively(Duration.ofSeconds(10), () -> c.server.stop());
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
      assertThat(raw.in.read()).as("the idle connection was closed").isEqualTo(-1);
    }
  }

  @Test
  void stoppingTheServerEndsAConnectionStalledMidBody() throws IOException {
    try (Raw raw = new Raw(c)) {
      raw.write(
          "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"prompt\":");
      raw.write(""); // the rest of the body never comes
      assertTimeoutPreemptively(Duration.ofSeconds(10), () -> c.server.stop());
      assertThat(raw.in.read()).as("the stalled connection was closed").isEqualTo(-1);
    }
    assertThat(worker.hits.get()).isZero();
  }

  @Test
  void thePerClientInferenceLimitAppliesOnTheFastPath() throws IOException {
    try (RoutingHarness limited = new RoutingHarness(Map.of("RMA_INFERENCE_PER_SECOND", "2"));
        StubWorker w = echo(new StubWorker("w2"), "/v1/completions")) {
      limited.register(w, "vllm", List.of());
      try (Raw raw = new Raw(limited)) {
        // A burst of 2, then 2 per second: a quick run of requests meets the limit (at the third
        // unless the machine is very slow).
        List<Integer> statuses = new ArrayList<>();
        Answer last;
        do {
          last = raw.exchange(post("/v1/completions", COMPLETION, ""));
          statuses.add(last.status());
        } while (last.status() == 200 && statuses.size() < 20);
        assertThat(statuses).startsWith(200, 200).endsWith(429);
        assertThat(last.fastPath()).isTrue();
        assertThat(last.headers().get("retry-after")).isEqualTo("1");
        assertThat(last.json().get("detail").asText()).contains("too many inference requests");
      }
    }
  }

  @Test
  void queryParametersAndHeadersReachTheHandlers() throws IOException {
    StubWorker rag = echo(new StubWorker("r1"), "/query");
    try (rag;
        Raw raw = new Raw(c)) {
      c.register(rag, "rag", List.of());
      Answer a =
          raw.exchange(post("/api/inference/rag/query?query=what%20is%20it&context=docs", "", ""));
      assertThat(a.status()).as(a.body()).isEqualTo(200);
      assertThat(a.fastPath()).isTrue();
      JsonNode got = a.json().get("got");
      assertThat(got.get("query").asText()).isEqualTo("what is it");
      assertThat(got.get("context").asText()).isEqualTo("docs");
      assertThat(rag.received.peek().query()).contains("query=what");
    }
  }

  @Test
  void streamsChunkedAnswersThroughTheFastPath() throws IOException {
    worker.on(
        "/v1/completions",
        (ex, body) -> {
          OutputStream out = StubWorker.startStream(ex, "text/event-stream");
          StubWorker.chunk(out, "data: one\n\n");
          StubWorker.chunk(out, "data: two\n\n");
          out.close();
        });
    try (Raw raw = new Raw(c)) {
      Answer a = raw.exchange(post("/v1/completions", "{\"prompt\":\"x\",\"stream\":true}", ""));
      assertThat(a.status()).isEqualTo(200);
      assertThat(a.fastPath()).isTrue();
      assertThat(a.headers().get("content-type")).isEqualTo("text/event-stream");
      assertThat(a.headers().get("transfer-encoding")).isEqualTo("chunked");
      assertThat(a.body()).isEqualTo("data: one\n\ndata: two\n\n");
      // and the connection goes on
      assertThat(raw.exchange(get("/v1/models")).status()).isEqualTo(200);
    }
  }

  /** Answers {@code {"worker": name, "got": the body it received}} at {@code path}. */
  private static StubWorker echo(StubWorker w, String path) {
    return w.on(
        path, (ex, body) -> StubWorker.json(ex, 200, Map.of("worker", w.name, "got", body)));
  }
}
