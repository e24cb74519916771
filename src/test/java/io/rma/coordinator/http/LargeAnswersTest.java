package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A non-streamed worker answer over 64 KiB is passed on as it arrives instead of being held whole
 * (with its Content-Length, or chunked when the worker sent it without one): the client gets the
 * same bytes; a worker that stops part-way, or sends more than the cap, cuts the client's answer
 * off (it cannot become a 502 once passing on has begun). Smaller answers of unknown length are
 * still sent whole, with a Content-Length.
 */
class LargeAnswersTest extends RoutingTestBase {
  private static final int SIZE = 1024 * 1024 + 17;

  private RoutingHarness c;
  private StubWorker worker;
  private byte[] answer;

  @BeforeEach
  void start() throws Exception {
    c = closeLater(harness());
    worker = closeLater(new StubWorker("big"));
    c.register(worker, "vllm", List.of());
    answer = new byte[SIZE];
    byte[] open = "{\"text\":\"".getBytes(StandardCharsets.UTF_8);
    Arrays.fill(answer, (byte) 'y');
    System.arraycopy(open, 0, answer, 0, open.length);
    answer[SIZE - 2] = '"';
    answer[SIZE - 1] = '}';
  }

  @Test
  void aLargeAnswerArrivesWhole() throws Exception {
    worker.on(
        "/v1/completions",
        (ex, body) -> {
          try (OutputStream out = startAnswer(ex)) {
            for (int at = 0; at < answer.length; at += 100_000) { // in pieces, as a worker would
              out.write(answer, at, Math.min(100_000, answer.length - at));
              out.flush();
            }
          }
        });
    for (int i = 0; i < 3; i++) { // and the connections stay usable
      HttpResponse<byte[]> r = post();
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
      assertThat(r.headers().firstValue("Content-Length")).contains(String.valueOf(SIZE));
      assertThat(r.body()).isEqualTo(answer);
    }
  }

  @Test
  void aWorkerThatStopsPartWayCutsTheAnswerOff() throws Exception {
    worker.on(
        "/v1/completions",
        (ex, body) -> {
          OutputStream out = startAnswer(ex);
          out.write(answer, 0, 300_000);
          out.flush();
          ex.getHttpContext().getServer().stop(0); // gone, mid-answer
        });
    assertThatThrownBy(this::post).isInstanceOf(IOException.class);
    // The coordinator goes on serving.
    assertThat(c.get("/observe/health/live").statusCode()).isEqualTo(200);
  }

  @Test
  void aLargeAnswerWithoutALengthIsPassedOnChunked() throws Exception {
    worker.on("/v1/completions", (ex, body) -> chunked(ex, answer.length));
    for (int i = 0; i < 3; i++) { // and the connections stay usable
      HttpResponse<byte[]> r = post();
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
      assertThat(r.headers().firstValue("Content-Length")).isEmpty();
      assertThat(r.body()).isEqualTo(answer);
    }
  }

  @Test
  void aSmallAnswerWithoutALengthIsSentWhole() throws Exception {
    byte[] small = "{\"text\":\"short\"}".getBytes(StandardCharsets.UTF_8);
    answer = small;
    worker.on("/v1/completions", (ex, body) -> chunked(ex, small.length));
    HttpResponse<byte[]> r = post();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Length")).contains(String.valueOf(small.length));
    assertThat(r.body()).isEqualTo(small);
  }

  @Test
  void anAnswerWithoutALengthThatPassesTheCapIsCutOff() throws Exception {
    RoutingHarness capped =
        closeLater(harness(java.util.Map.of("RMA_MAX_INFERENCE_BODY_BYTES", "200000")));
    capped.register(worker, "vllm", List.of());
    worker.on("/v1/completions", (ex, body) -> chunked(ex, answer.length));
    assertThatThrownBy(
            () ->
                capped.inferenceHttp.send(
                    HttpRequest.newBuilder(capped.uri("/v1/completions"))
                        .timeout(Duration.ofSeconds(20))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"hi\"}"))
                        .build(),
                    HttpResponse.BodyHandlers.ofByteArray()))
        .isInstanceOf(IOException.class);
    assertThat(capped.get("/observe/health/live").statusCode()).isEqualTo(200);
  }

  /** The first {@code length} bytes of the answer, chunked, in pieces as a worker would send. */
  private void chunked(com.sun.net.httpserver.HttpExchange ex, int length) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(200, 0); // no length: chunked
    try (OutputStream out = ex.getResponseBody()) {
      for (int at = 0; at < length; at += 100_000) {
        out.write(answer, at, Math.min(100_000, length - at));
        out.flush();
      }
    }
  }

  /** The worker's 200 with the whole answer's Content-Length; its body follows on the stream. */
  private OutputStream startAnswer(com.sun.net.httpserver.HttpExchange ex) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(200, answer.length);
    return ex.getResponseBody();
  }

  private HttpResponse<byte[]> post() throws Exception {
    return c.inferenceHttp.send(
        HttpRequest.newBuilder(c.uri("/v1/completions"))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"prompt\":\"hi\"}"))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }
}
