package io.rma.coordinator.http;

import static io.rma.coordinator.http.RawHttp.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.http.RawHttp.Answer;
import io.rma.coordinator.http.RawHttp.Raw;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the coordinator answers at the edges of HTTP/1.1, held against raw sockets as a hostile or
 * old client sends them: every answer is JSON, broken framing ends the connection (nothing after it
 * is served), early answers reach clients that are still sending, and slow or foreign clients are
 * closed. docs/routing.md lists each case with what nginx does.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProtocolEdgeTest extends RoutingTestBase {
  private static final String HIDDEN = post("/api/inference/llm", "{\"prompt\":\"hidden\"}", "");

  private RoutingHarness c;
  private StubWorker worker;

  @BeforeEach
  void start() throws IOException {
    c =
        closeLater(
            harness(
                Map.of(
                    "RMA_HEAD_TIMEOUT", "2s",
                    "RMA_BODY_TIMEOUT", "1s",
                    "RMA_ADMIN_TOKEN", "secret")));
    worker = closeLater(new StubWorker("w1"));
    c.register(worker, "vllm", List.of());
  }

  /** Reads one answer, then asserts the server closed the connection after it. */
  private static Answer lastAnswer(Raw raw) throws IOException {
    Answer a = raw.read();
    assertClosed(raw);
    return a;
  }

  private static void assertClosed(Raw raw) throws IOException {
    try {
      assertThat(raw.in.read()).as("end of the connection").isEqualTo(-1);
    } catch (SocketException reset) {
      // a reset is an end too
    }
  }

  private static JsonNode jsonOf(Answer a) {
    assertThat(a.headers().get("content-type")).isEqualTo("application/json");
    return a.json();
  }

  @ParameterizedTest(name = "chunk size line {0}")
  @ValueSource(strings = {"zz", "-1", "0x10", "ffffffffffffffffffff", "a;EXT", "LF"})
  void brokenChunkFramingIsA400ThatEndsTheConnection(String size) throws IOException {
    String chunkLine =
        switch (size) {
          case "a;EXT" -> "a;" + "e".repeat(100 * 1024) + "\r\n";
          case "LF" -> "2\n";
          default -> size + "\r\n";
        };
    try (Raw raw = new Raw(c)) {
      raw.write(
          "POST /api/inference/llm HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + "Transfer-Encoding: chunked\r\n\r\n"
              + chunkLine
              + "{}\r\n0\r\n\r\n"
              + HIDDEN);
      Answer a = lastAnswer(raw);
      assertThat(a.status()).as(a.body()).isEqualTo(400);
      assertThat(a.headers()).containsEntry("connection", "close");
      assertThat(jsonOf(a).path("detail").asText()).contains("malformed request body");
    }
    assertThat(worker.hits.get()).as("the request hidden after the broken body").isZero();
  }

  @Test
  void aClientsConnectionCloseMakesThatAnswerTheLast() throws IOException {
    try (Raw raw = new Raw(c)) {
      raw.write(
          "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
              + HIDDEN
              + "GET /api HTTP/1.1\r\nHost: x\r\n\r\n");
      Answer a = lastAnswer(raw);
      assertThat(a.status()).isEqualTo(200);
      assertThat(a.headers()).containsEntry("connection", "close");
    }
    assertThat(worker.hits.get()).as("the request pipelined after Connection: close").isZero();
  }

  @Test
  void aRequestLineOverTheLimitIsA414WithinASecond() throws IOException {
    try (Raw raw = new Raw(c)) {
      long start = System.nanoTime();
      raw.write("GET /" + "a".repeat(9_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
      Answer a = raw.read();
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1_000);
      assertClosed(raw);
      assertThat(a.status()).isEqualTo(414);
      assertThat(jsonOf(a).path("detail").asText())
          .isEqualTo("request line longer than 8192 bytes");
    }
  }

  @ParameterizedTest(name = "a header of {0} bytes")
  @ValueSource(ints = {20_000, 70_000})
  void headersOverTheLimitAreA431(int size) throws IOException {
    try (Raw raw = new Raw(c)) {
      raw.write("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(size) + "\r\n\r\n");
      Answer a = lastAnswer(raw);
      assertThat(a.status()).isEqualTo(431);
      assertThat(jsonOf(a).path("detail").asText())
          .isEqualTo("request headers larger than 16384 bytes");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "GET /health?%zz HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /{x} HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost:\r\n\r\n",
        "GET /health HTTP/1.1\r\n\r\n",
        "G(T /health HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /health\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "POST /api/inference/llm HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        "POST /api/inference/llm HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n{}",
        "FOO /health HTTP/1.1\r\nHost: x\r\n\r\n",
        "get /health HTTP/1.1\r\nHost: x\r\n\r\n",
        "Post /api/inference/llm HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
      })
  void whatTheHttpLayerRefusesIsA400InJsonThatEndsTheConnection(String request) throws IOException {
    try (Raw raw = new Raw(c)) {
      raw.write(request + HIDDEN);
      Answer a = lastAnswer(raw);
      assertThat(a.status()).as(a.body()).isEqualTo(400);
      assertThat(jsonOf(a).path("detail").asText()).startsWith("bad request").hasSizeLessThan(300);
    }
    assertThat(worker.hits.get()).isZero();
  }

  @Test
  void theOpenAiRoutesAnswerHttpLayerErrorsWithTheOpenAiErrorObject() throws IOException {
    try (Raw raw = new Raw(c)) {
      Answer a = raw.exchange("GET /v1/models?%zz HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(a.status()).isEqualTo(400);
      JsonNode body = jsonOf(a);
      assertThat(body.path("error").path("type").asText()).isEqualTo("invalid_request_error");
      assertThat(body.path("error").path("message").asText())
          .isEqualTo(body.path("detail").asText());
    }
  }

  @Test
  void http10IsA505InJsonThatSaysToUseHttp11() throws IOException {
    try (Raw raw = new Raw(c)) {
      raw.write("GET /health HTTP/1.0\r\n\r\n");
      Answer a = lastAnswer(raw);
      assertThat(a.status()).isEqualTo(505);
      assertThat(jsonOf(a).path("detail").asText()).contains("HTTP/1.1", "proxy_http_version");
    }
  }

  @Test
  void aTlsClientHelloOnThePlainPortIsClosedAtOnce() throws IOException {
    try (Raw raw = new Raw(c)) {
      raw.socket.setSoTimeout(2_000);
      OutputStream out = raw.socket.getOutputStream();
      // A TLS 1.2 record header (handshake), a ClientHello's start: no line end anywhere.
      out.write(HexFormat.of().parseHex("16030100a5010000a10303" + "00".repeat(150)));
      out.flush();
      assertClosed(raw);
    }
  }

  /** A body over the cap is refused while the client is still sending it; the client sees it. */
  @Test
  void a413ReachesAClientStillSendingADeclaredBody() throws Exception {
    try (Raw raw = new Raw(c)) {
      raw.write(
          "POST /api/inference/llm HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + "Content-Length: 100000000\r\n\r\n");
      CompletableFuture<Void> sending = keepSending(raw, 8 * 1024 * 1024);
      Answer a = raw.read();
      assertThat(a.status()).as(a.body()).isEqualTo(413);
      assertThat(a.headers()).containsEntry("connection", "close");
      assertThat(jsonOf(a).path("detail").asText()).contains("request body larger than");
      sending.handle((v, e) -> null).get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void a413ReachesAClientStillSendingAChunkedBody() throws Exception {
    RoutingHarness small = closeLater(harness(Map.of("RMA_MAX_INFERENCE_BODY_BYTES", "65536")));
    try (Raw raw = new Raw(small)) {
      raw.write(
          "POST /api/inference/llm HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + "Transfer-Encoding: chunked\r\n\r\n");
      CompletableFuture<Void> sending =
          CompletableFuture.runAsync(
              () -> {
                try {
                  String chunk = Integer.toHexString(16 * 1024) + "\r\n" + "x".repeat(16 * 1024);
                  for (int i = 0; i < 512; i++) {
                    raw.write(chunk + "\r\n");
                  }
                } catch (IOException closed) {
                  // the server ended the connection, as it should
                }
              });
      Answer a = raw.read();
      assertThat(a.status()).as(a.body()).isEqualTo(413);
      assertThat(jsonOf(a).path("detail").asText()).contains("request body larger than 65536");
      sending.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void a401BeforeTheBodyIsReadReachesAClientStillSending() throws Exception {
    try (Raw raw = new Raw(c)) {
      raw.write(
          "POST /api/admin/workers/w1/drain HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + "Content-Length: 50000000\r\n\r\n");
      CompletableFuture<Void> sending = keepSending(raw, 8 * 1024 * 1024);
      Answer a = raw.read();
      assertThat(a.status()).as(a.body()).isEqualTo(401);
      jsonOf(a);
      sending.handle((v, e) -> null).get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aSmallUnreadBodyIsSkippedAndTheConnectionGoesOn() throws IOException {
    try (Raw raw = new Raw(c)) {
      Answer refused =
          raw.exchange(
              post("/api/admin/workers/w1/drain", "{\"pad\":\"" + "p".repeat(1000) + "\"}", ""));
      assertThat(refused.status()).isEqualTo(401);
      assertThat(refused.headers()).doesNotContainKey("connection");
      assertThat(raw.exchange("GET /health HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
    }
  }

  @ParameterizedTest(name = "trickling the {0}")
  @ValueSource(strings = {"request line", "headers"})
  void aHeadThatTricklesInIsClosedAfterTheHeadTimeout(String part) throws Exception {
    String head = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + "s".repeat(200) + "\r\n\r\n";
    int from = part.equals("headers") ? head.indexOf("\r\n") + 2 : 0;
    try (Raw raw = new Raw(c)) {
      raw.socket.setSoTimeout(8_000);
      raw.write(head.substring(0, from));
      long start = System.nanoTime();
      CompletableFuture<Void> trickling =
          CompletableFuture.runAsync(
              () -> {
                try {
                  for (int i = from; i < head.length(); i++) {
                    raw.write(head.substring(i, i + 1));
                    TimeUnit.MILLISECONDS.sleep(
                        200); // the client's pace, not a wait for the server
                  }
                } catch (IOException | InterruptedException closed) {
                  // closed by the server
                }
              });
      assertClosed(raw);
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      // Helidon checks idle connections every second against a clock of one-second steps: a
      // request line may be cut up to a second early or late; the headers' deadline is exact.
      assertThat(millis).as("closed after the 2 s head timeout").isBetween(900L, 5_000L);
      trickling.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aRegistrationBodyThatStopsIsClosedAfterTheBodyTimeout() throws IOException {
    try (Raw raw = new Raw(c)) {
      raw.write(
          "POST /api/worker/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + "Content-Length: 100\r\n\r\n{\"capabilities\":");
      long start = System.nanoTime();
      assertClosed(raw);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(900L, 4_000L);
    }
  }

  /** Writes {@code bytes} of filler on another thread, as a client sending a large body does. */
  private static CompletableFuture<Void> keepSending(Raw raw, int bytes) {
    return CompletableFuture.runAsync(
        () -> {
          byte[] piece = new byte[64 * 1024];
          java.util.Arrays.fill(piece, (byte) 'x');
          try {
            OutputStream out = raw.socket.getOutputStream();
            for (int sent = 0; sent < bytes; sent += piece.length) {
              out.write(piece);
            }
            out.flush();
          } catch (IOException closed) {
            // the server may end the connection part-way, after its answer
          }
        });
  }
}
