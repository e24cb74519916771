package io.rma.coordinator.http;

import static io.rma.coordinator.http.RawHttp.get;
import static io.rma.coordinator.http.RawHttp.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.http.RawHttp.Answer;
import io.rma.coordinator.http.RawHttp.Raw;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Edge cases of proxying inference with workers and clients that do unusual but legal (or plainly
 * broken) things on the wire: what a client or a worker of a real pool would expect of a proxy.
 * Workers are raw sockets where the answer's bytes matter.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProxyEdgeTest {
  /** A body over the size that used to be read whole in one buffer. */
  private static final int LARGE_BODY = 64 * 1024;

  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closing) {
      try {
        c.close();
      } catch (Exception e) {
        // closing the rest anyway
      }
    }
  }

  private <T extends AutoCloseable> T later(T t) {
    closing.add(0, t);
    return t;
  }

  private RoutingHarness harness(Map<String, String> env) {
    return later(new RoutingHarness(env));
  }

  private static String completion(String prompt) {
    return post("/v1/completions", "{\"prompt\":\"" + prompt + "\"}", "");
  }

  // ---------------------------------------------------------------------------------------------
  // Worker answers of unusual shape

  /**
   * A chunked answer with trailers arrives whole. Helidon 4.5's client leaves trailers unread, so
   * the worker's connection is closed rather than reused with them on it.
   */
  @Test
  void aChunkedAnswerWithTrailersArrivesWholeAndItsConnectionIsNotReused() throws Exception {
    RoutingHarness c = harness(Map.of());
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) ->
                    send(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            + "Transfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                            + "8\r\n{\"text\":\r\n"
                            + "A\r\n\"chunked\",\r\n"
                            + "00000004\r\n\"n\":\r\n"
                            + Integer.toHexString(String.valueOf(n).length() + 1)
                            + "\r\n"
                            + n
                            + "}\r\n"
                            + "0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n")));
    w.register(c, "vllm");
    try (Raw raw = new Raw(c)) {
      for (int i = 1; i <= 3; i++) {
        Answer a = ok(raw, "hi");
        assertThat(a.headers().get("content-type")).isEqualTo("application/json");
        assertThat(a.json().path("text").asText()).isEqualTo("chunked");
        assertThat(a.json().path("n").asInt()).isEqualTo(i);
      }
    }
    assertThat(w.connections.get()).isEqualTo(3);
  }

  /** A chunked answer without trailers keeps the worker's connection for the next request. */
  @Test
  void aChunkedAnswerWithoutTrailersKeepsTheConnection() throws Exception {
    RoutingHarness c = harness(Map.of());
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) ->
                    send(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n"
                            + Integer.toHexString(("{\"n\":" + n + "}").length())
                            + "\r\n{\"n\":"
                            + n
                            + "}\r\n0\r\n\r\n")));
    w.register(c, "vllm");
    try (Raw raw = new Raw(c)) {
      for (int i = 1; i <= 3; i++) {
        assertThat(ok(raw, "hi").json().path("n").asInt()).isEqualTo(i);
      }
    }
    assertThat(w.connections.get()).isEqualTo(1);
  }

  /**
   * Chunk extensions are legal, but Helidon 4.5's client cannot read them (its 4.x line since can):
   * the answer fails as a worker failure, 502, never as a wrong answer.
   */
  @Test
  void aChunkExtensionIsAWorkerFailure() throws Exception {
    RoutingHarness c = harness(Map.of());
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) ->
                    send(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n"
                            + "2;name=value\r\n{}\r\n0\r\n\r\n")));
    w.register(c, "vllm");
    try (Raw raw = new Raw(c)) {
      Answer a = raw.exchange(completion("hi"));
      assertThat(a.status()).as(a.body()).isEqualTo(502);
      assertThat(a.json().path("detail").asText()).contains("answer cut off");
    }
  }

  /** The same answer sent one byte per packet (head, chunk lines and trailers split everywhere). */
  @Test
  void anAnswerArrivingByteByByteIsReadWhole() throws Exception {
    RoutingHarness c = harness(Map.of());
    String chunked =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\n{\"a\":\r\n"
            + "9\r\n\"chunked\"\r\n"
            + "1\r\n}\r\n"
            + "0\r\nX-T: 1\r\n\r\n";
    String sized =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
            + "{\"a\":\"len\"}";
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) -> {
                  s.setTcpNoDelay(true);
                  byte[] b = (n % 2 == 1 ? chunked : sized).getBytes(StandardCharsets.ISO_8859_1);
                  OutputStream out = s.getOutputStream();
                  for (byte x : b) {
                    out.write(x);
                    out.flush();
                  }
                }));
    w.register(c, "vllm");
    try (Raw raw = new Raw(c)) {
      for (int i = 0; i < 4; i++) {
        Answer a = ok(raw, "hi");
        assertThat(a.json().path("a").asText()).isEqualTo(i % 2 == 0 ? "chunked" : "len");
      }
    }
    // each chunked answer's trailer closes its connection (see the trailers test)
    assertThat(w.connections.get()).isEqualTo(3);
  }

  /** HTTP/1.0 without a length: the body runs until the worker closes; the next call reconnects. */
  @Test
  void anHttp10AnswerWithoutLengthEndsWhenTheWorkerCloses() throws Exception {
    RoutingHarness c = harness(Map.of());
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) -> {
                  send(
                      s,
                      "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"text\":\"until close "
                          + n
                          + "\"}");
                  s.close();
                }));
    w.register(c, "vllm");
    try (Raw raw = new Raw(c)) {
      for (int i = 1; i <= 3; i++) {
        Answer a = ok(raw, "hi");
        assertThat(a.json().path("text").asText()).isEqualTo("until close " + i);
      }
    }
    assertThat(w.connections.get()).isEqualTo(3);
  }

  /** HTTP/1.0 with {@code Connection: keep-alive} and a length: the connection is kept. */
  @Test
  void anHttp10KeepAliveAnswerKeepsTheConnection() throws Exception {
    RoutingHarness c = harness(Map.of());
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) ->
                    send(
                        s,
                        "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"
                            + json(200, "{\"n\":" + n + "}")
                                .substring("HTTP/1.1 200 X\r\n".length()))));
    w.register(c, "vllm");
    try (Raw raw = new Raw(c)) {
      for (int i = 1; i <= 3; i++) {
        Answer a = ok(raw, "hi");
        assertThat(a.json().path("n").asInt()).isEqualTo(i);
      }
    }
    assertThat(w.connections.get()).isEqualTo(1);
  }

  /**
   * An interim answer (103 Early Hints) where the final one was due: Helidon 4.5's client takes it
   * for the answer, so it is a worker failure (502) and its connection is closed, never a 103
   * passed to the client.
   */
  @Test
  void interimAnswersAreWorkerFailures() throws Exception {
    RoutingHarness c = harness(Map.of());
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) -> {
                  send(s, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n");
                  send(s, json(200, "{\"text\":\"final " + n + "\"}"));
                }));
    w.register(c, "vllm");
    try (Raw raw = new Raw(c)) {
      for (int i = 1; i <= 2; i++) {
        Answer a = raw.exchange(completion("hi"));
        assertThat(a.status()).as(a.body()).isEqualTo(502);
        assertThat(a.json().path("detail").asText()).contains("interim status 103");
      }
    }
    // the connection an interim answer came on is not used again
    assertThat(w.connections.get()).isEqualTo(2);
  }

  /** 204 and an empty 200 end at their head; the kept-alive worker connection serves the next. */
  @Test
  void answersWithoutABodyEndAtTheirHead() throws Exception {
    RoutingHarness c = harness(Map.of());
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) ->
                    send(
                        s,
                        switch (n % 3) {
                          case 1 -> "HTTP/1.1 204 No Content\r\nX-Whatever: 1\r\n\r\n";
                          case 2 ->
                              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                  + "Content-Length: 0\r\n\r\n";
                          default -> json(200, "{\"text\":\"body\"}");
                        })));
    w.register(c, "vllm");
    try (Raw raw = new Raw(c)) {
      for (int round = 0; round < 2; round++) {
        Answer noContent = raw.exchange(completion("hi"));
        assertThat(noContent.status()).isEqualTo(204);
        assertThat(noContent.body()).isEmpty();
        Answer empty = raw.exchange(completion("hi"));
        assertThat(empty.status()).isEqualTo(200);
        assertThat(empty.body()).isEmpty();
        Answer full = raw.exchange(completion("hi"));
        assertThat(full.status()).isEqualTo(200);
        assertThat(full.json().path("text").asText()).isEqualTo("body");
      }
    }
    assertThat(w.connections.get()).isEqualTo(1);
  }

  /**
   * A worker that says {@code Connection: close} (and leaves closing to the client): the loop does
   * not reuse that connection, closes it, and the client's own connection goes on.
   */
  @Test
  void aWorkersConnectionCloseIsHonoured() throws Exception {
    RoutingHarness c = harness(Map.of());
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) ->
                    send(
                        s,
                        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 11\r\n\r\n{\"n\":\""
                            + (char) ('0' + n)
                            + "\"}xx")));
    w.register(c, "vllm");
    try (Raw raw = new Raw(c)) {
      for (int i = 1; i <= 3; i++) {
        Answer a = ok(raw, "hi");
        assertThat(a.body()).isEqualTo("{\"n\":\"" + i + "\"}xx");
        // the coordinator closed the worker's connection (the worker left that to it)
        assertThat(w.closedByCoordinator.poll(10, TimeUnit.SECONDS)).isNotNull();
      }
    }
    assertThat(w.connections.get()).isEqualTo(3);
  }

  /** Bytes past the declared length are not taken as the start of the next answer. */
  @Test
  void bytesPastTheDeclaredLengthDoNotLeakIntoTheNextAnswer() throws Exception {
    RoutingHarness c = harness(Map.of());
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) ->
                    send(
                        s,
                        json(200, "{\"n\":" + n + "}")
                            + json(200, "{\"smuggled\":true}")
                            + "garbage")));
    w.register(c, "vllm");
    try (Raw raw = new Raw(c)) {
      for (int i = 1; i <= 3; i++) {
        Answer a = ok(raw, "hi");
        assertThat(a.json().path("n").asInt()).isEqualTo(i);
      }
    }
    assertThat(w.connections.get()).isEqualTo(3);
  }

  /**
   * Malformed answers are a 502 JSON error naming the worker, not a hang or a closed client
   * connection; the same client connection then gets a good answer.
   */
  @Test
  void malformedAnswersAre502AndTheClientConnectionGoesOn() throws Exception {
    RoutingHarness c = harness(Map.of("RMA_EJECT_AFTER_FAILURES", "100"));
    List<String> bad =
        List.of(
            "HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}",
            "garbage that is not http\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-Huge: " + "h".repeat(70_000) + "\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n{}",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX\r\n",
            "ICY 200 OK\r\n\r\n");
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) -> {
                  if (n <= bad.size()) {
                    send(s, bad.get(n - 1));
                  } else {
                    send(s, json(200, "{\"text\":\"good\"}"));
                  }
                }));
    String id = w.register(c, "vllm");
    try (Raw raw = new Raw(c)) {
      for (String answer : bad) {
        Answer a = raw.exchange(completion("hi"));
        assertThat(a.status()).as(answer + " gave " + a.body()).isEqualTo(502);
        assertThat(a.json().path("detail").asText()).as(answer).contains(id);
        assertThat(a.json().path("tried").toString()).contains(id);
      }
      Answer good = raw.exchange(completion("hi"));
      assertThat(good.status()).isEqualTo(200);
      assertThat(good.json().path("text").asText()).isEqualTo("good");
    }
  }

  /** A worker that hangs up mid-head or mid-body: 502, and the client connection goes on. */
  @Test
  void aWorkerHangingUpPartWayIs502() throws Exception {
    RoutingHarness c = harness(Map.of("RMA_EJECT_AFTER_FAILURES", "100"));
    List<String> cut =
        List.of(
            "HTTP/1.1 200 OK\r\nContent-Ty",
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"only\":",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"only\":",
            "SSH-2.0-OpenSSH_9.6\r\n");
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) -> {
                  if (n <= cut.size()) {
                    send(s, cut.get(n - 1));
                    s.close();
                  } else {
                    send(s, json(200, "{\"text\":\"good\"}"));
                  }
                }));
    String id = w.register(c, "vllm");
    try (Raw raw = new Raw(c)) {
      for (String answer : cut) {
        Answer a = raw.exchange(completion("hi"));
        assertThat(a.status()).as(answer + " gave " + a.body()).isEqualTo(502);
        assertThat(a.json().path("detail").asText()).contains(id);
      }
      Answer good = raw.exchange(completion("hi"));
      assertThat(good.status()).isEqualTo(200);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Failover

  /**
   * A worker that declines with a 503 whose body is larger than 64 KiB (with a length, or chunked)
   * is failed over to one that answers; when both decline, the 502 names both with the start of
   * what they said.
   */
  @Test
  void a503WithABodyOver64KibIsFailedOver() throws Exception {
    RoutingHarness c = harness(Map.of("RMA_EJECT_AFTER_FAILURES", "1000"));
    String big = "loading ".repeat(20_000); // 160 KB
    StubWorker sick = later(new StubWorker("sick"));
    AtomicInteger sickCalls = new AtomicInteger();
    sick.on(
        "/v1/completions",
        (ex, b) -> {
          byte[] bytes = StubWorker.JSON.writeValueAsBytes(Map.of("detail", big));
          ex.getResponseHeaders().set("Content-Type", "application/json");
          // odd calls with a Content-Length, even ones chunked
          ex.sendResponseHeaders(503, sickCalls.incrementAndGet() % 2 == 1 ? bytes.length : 0);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
          } catch (IOException e) {
            // the coordinator stops reading a refusal after its start
          }
        });
    StubWorker well = later(new StubWorker("well"));
    String sickId = c.register(sick, "vllm", List.of());
    String wellId = c.register(well, "vllm", List.of());
    try (Raw raw = new Raw(c)) {
      for (int i = 0; i < 20; i++) {
        Answer a = ok(raw, "hi");
        assertThat(a.json().path("worker").asText()).isEqualTo("well");
      }
      assertThat(sickCalls.get()).isGreaterThanOrEqualTo(2); // both kinds of refusal were met
      well.on(
          "/v1/completions", (ex, b) -> StubWorker.json(ex, 503, Map.of("detail", "also " + big)));
      Answer none = raw.exchange(completion("hi"));
      assertThat(none.status()).as(none.body()).isEqualTo(502);
      String detail = none.json().path("detail").asText();
      assertThat(detail)
          .contains(sickId + " (answered 503 ({\"detail\":\"loading loading")
          .contains(wellId + " (answered 503 ({\"detail\":\"also loading");
      Answer after = raw.exchange(completion("hi"));
      assertThat(after.status()).isEqualTo(502);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Clients

  /**
   * A client that leaves while the worker is still working: the worker's connection is closed
   * (which cancels the work on vLLM), and the loop goes on serving others.
   */
  @Test
  void aClientLeavingMidRequestFreesTheWorkersConnectionByTheUpstreamTimeout() throws Exception {
    // A request thread waiting for a worker's answer does not see its client leave (Helidon gives
    // a handler no way to watch its connection); the worker's connection is closed when the answer
    // comes or the upstream timeout passes, and other clients are served meanwhile.
    RoutingHarness c = harness(Map.of("RMA_UPSTREAM_TIMEOUT", "1s"));
    CountDownLatch thinking = new CountDownLatch(1);
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) -> {
                  if (body.contains("think")) {
                    thinking.countDown(); // and never answers
                  } else {
                    send(s, json(200, "{\"text\":\"quick\"}"));
                  }
                }));
    w.register(c, "vllm");
    try (Raw leaving = new Raw(c)) {
      leaving.write(completion("think"));
      assertThat(thinking.await(10, TimeUnit.SECONDS)).isTrue();
    }
    try (Raw other = new Raw(c)) {
      for (int i = 0; i < 3; i++) {
        Answer a = ok(other, "quick");
        assertThat(a.json().path("text").asText()).isEqualTo("quick");
      }
    }
    assertThat(w.closedByCoordinator.poll(10, TimeUnit.SECONDS)).isNotNull();
  }

  /** Pipelined requests, some relayed to Helidon, are answered in the order sent. */
  @Test
  void pipelinedRequestsWithRelayedOnesInBetweenAreAnsweredInOrder() throws Exception {
    RoutingHarness c = harness(Map.of());
    StubWorker w = later(echo(new StubWorker("w1")));
    c.register(w, "vllm", List.of());
    try (Raw raw = new Raw(c)) {
      raw.write(
          post("/v1/completions", "{\"prompt\":\"one\"}", "")
              + get("/api/admin/workers")
              + post("/v1/completions", "{\"prompt\":\"two\"}", "")
              + get("/v1/models")
              + post("/api/inference/llm", "{\"prompt\":\"three\"}", ""));
      Answer one = raw.read();
      Answer workers = raw.read();
      Answer two = raw.read();
      Answer models = raw.read();
      Answer three = raw.read();
      assertThat(one.json().path("got").path("prompt").asText()).isEqualTo("one");
      assertThat(workers.status()).isEqualTo(200);
      assertThat(workers.body()).contains("127.0.0.1");
      assertThat(two.json().path("got").path("prompt").asText()).isEqualTo("two");
      assertThat(models.json().path("object").asText()).isEqualTo("list");
      assertThat(three.json().path("got").path("prompt").asText()).isEqualTo("three");
    }
  }

  /**
   * Forty plain requests in one write (the loop's 4 KiB read buffer holds a few at a time), each
   * answered by the worker after a different delay: answered one by one, in order.
   */
  @Test
  void fortyPipelinedPlainRequestsAreAnsweredInOrder() throws Exception {
    RoutingHarness c = harness(Map.of());
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) -> {
                  Matcher m = Pattern.compile("\"prompt\":\"(\\w+)\"").matcher(body);
                  assertThat(m.find()).isTrue();
                  Thread.sleep(n % 4); // not a wait on anything: the order must not depend on it
                  send(s, json(200, "{\"echo\":\"" + m.group(1) + "\"}"));
                }));
    w.register(c, "vllm");
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      all.append(completion("p" + i));
    }
    try (Raw raw = new Raw(c)) {
      raw.write(all.toString());
      for (int i = 0; i < 40; i++) {
        Answer a = raw.read();
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        assertThat(a.json().path("echo").asText()).isEqualTo("p" + i);
      }
    }
  }

  /**
   * A large request pipelined behind a small one (it does not fit the read buffer while the first
   * is served, so reading pauses and resumes): both answered, in order, with the body whole.
   */
  @Test
  void aLargeRequestPipelinedBehindASmallOneIsReadWhole() throws Exception {
    RoutingHarness c = harness(Map.of());
    StubWorker w = later(echo(new StubWorker("w1")));
    c.register(w, "vllm", List.of());
    String filler = "q".repeat(LARGE_BODY - 100);
    try (Raw raw = new Raw(c)) {
      for (int round = 0; round < 2; round++) {
        raw.write(
            completion("small")
                + post("/v1/completions", "{\"prompt\":\"" + filler + "\"}", "")
                + completion("last"));
        assertThat(raw.read().json().path("got").path("prompt").asText()).isEqualTo("small");
        assertThat(raw.read().json().path("got").path("prompt").asText()).isEqualTo(filler);
        assertThat(raw.read().json().path("got").path("prompt").asText()).isEqualTo("last");
      }
    }
  }

  /** A head and a body sent a byte per packet are put together. */
  @Test
  void aRequestSentByteByByteIsServed() throws Exception {
    RoutingHarness c = harness(Map.of());
    StubWorker w = later(echo(new StubWorker("w1")));
    c.register(w, "vllm", List.of());
    try (Raw raw = new Raw(c)) {
      raw.socket.setTcpNoDelay(true);
      OutputStream out = raw.socket.getOutputStream();
      for (int round = 0; round < 2; round++) {
        byte[] request = completion("bytewise" + round).getBytes(StandardCharsets.ISO_8859_1);
        for (byte b : request) {
          out.write(b);
          out.flush();
        }
        Answer a = raw.read();
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        assertThat(a.json().path("got").path("prompt").asText()).isEqualTo("bytewise" + round);
      }
      // and a head whole with its body in three pieces
      String body = "{\"prompt\":\"" + "x".repeat(30_000) + "\"}";
      String request = post("/v1/completions", body, "");
      int headEnd = request.indexOf("\r\n\r\n") + 4;
      raw.write(request.substring(0, headEnd));
      raw.write(request.substring(headEnd, headEnd + 10));
      raw.write(request.substring(headEnd + 10, headEnd + 20_000));
      raw.write(request.substring(headEnd + 20_000));
      Answer a = raw.read();
      assertThat(a.status()).as(a.body()).isEqualTo(200);
      assertThat(a.json().path("got").path("prompt").asText()).hasSize(30_000);
    }
  }

  /** Bodies at the loop's 64 KiB limit and just past it (relayed) are both served whole. */
  @Test
  void bodiesAtAndPastTheLoopLimitAreServed() throws Exception {
    RoutingHarness c = harness(Map.of());
    StubWorker w = later(echo(new StubWorker("w1")));
    c.register(w, "vllm", List.of());
    try (Raw raw = new Raw(c)) {
      for (int size : new int[] {LARGE_BODY, LARGE_BODY + 1}) {
        String filler = "y".repeat(size - "{\"prompt\":\"\"}".length());
        Answer a = raw.exchange(post("/v1/completions", "{\"prompt\":\"" + filler + "\"}", ""));
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        assertThat(a.json().path("got").path("prompt").asText()).isEqualTo(filler);
      }
    }
  }

  /**
   * A relayed connection whose client half-closes after its request gets its answer (Helidon's
   * way). On the loops a client's FIN while its request is served is taken as leaving, as nginx
   * does by default: the worker's call is closed (see the test of a client leaving mid-request).
   */
  @Test
  void aRelayedClientThatHalfClosesStillGetsTheAnswer() throws Exception {
    RoutingHarness c = harness(Map.of());
    try (Raw raw = new Raw(c)) {
      raw.write(get("/api/admin/stats"));
      raw.socket.shutdownOutput();
      Answer a = raw.read();
      assertThat(a.status()).as(a.body()).isEqualTo(200);
    }
  }

  /** A request head that stops arriving: the connection is closed after RMA_BODY_TIMEOUT. */
  @Test
  void aClientStallingMidRequestIsClosedAfterTheBodyTimeout() throws Exception {
    RoutingHarness c = harness(Map.of("RMA_BODY_TIMEOUT", "300ms", "RMA_HEAD_TIMEOUT", "1s"));
    StubWorker w = later(echo(new StubWorker("w1")));
    c.register(w, "vllm", List.of());
    String request = completion("stall");
    try (Raw head = new Raw(c);
        Raw body = new Raw(c)) {
      head.write(request.substring(0, 20));
      body.write(request.substring(0, request.length() - 3));
      assertThat(head.in.read()).isEqualTo(-1);
      assertThat(body.in.read()).isEqualTo(-1);
    }
    assertThat(w.hits.get()).isZero();
    try (Raw raw = new Raw(c)) {
      assertThat(raw.exchange(completion("after")).status()).isEqualTo(200);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Large answers and back-pressure

  /**
   * Large answers (with a length, chunked, and until close) to a client that reads slowly through a
   * small receive window: every byte arrives, in order, and the connection is usable after.
   */
  @Test
  void largeAnswersReachASlowReaderWhole() throws Exception {
    RoutingHarness c = harness(Map.of());
    int size = 6 * 1024 * 1024;
    byte[] payload = pattern(size);
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) -> {
                  OutputStream out = s.getOutputStream();
                  switch (n) {
                    case 1 -> {
                      out.write(
                          ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                                  + size
                                  + "\r\n\r\n")
                              .getBytes(StandardCharsets.ISO_8859_1));
                      out.write(payload);
                    }
                    case 2 -> {
                      out.write(
                          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                              .getBytes(StandardCharsets.ISO_8859_1));
                      for (int at = 0; at < size; at += 100_000) {
                        int len = Math.min(100_000, size - at);
                        out.write(
                            (Integer.toHexString(len) + "\r\n")
                                .getBytes(StandardCharsets.ISO_8859_1));
                        out.write(payload, at, len);
                        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                      }
                      out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    case 3 -> {
                      out.write(
                          "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                              .getBytes(StandardCharsets.ISO_8859_1));
                      out.write(payload);
                      out.flush();
                      s.close();
                      return;
                    }
                    default ->
                        out.write(
                            json(200, "{\"small\":true}").getBytes(StandardCharsets.ISO_8859_1));
                  }
                  out.flush();
                }));
    w.register(c, "vllm");
    try (SlowClient client = new SlowClient(c.server.port(), 8 * 1024)) {
      for (int i = 1; i <= 3; i++) {
        client.write(completion("big"));
        Bytes a = client.read(true);
        assertThat(a.status).isEqualTo(200);
        assertThat(a.body.length).as("answer " + i).isEqualTo(size);
        assertThat(a.body).as("answer " + i).isEqualTo(payload);
      }
      client.write(completion("small"));
      Bytes small = client.read(false);
      assertThat(small.status).isEqualTo(200);
      assertThat(new String(small.body, StandardCharsets.UTF_8)).isEqualTo("{\"small\":true}");
    }
  }

  /**
   * A client that leaves part-way through a large answer being passed on: the worker's connection
   * is closed (it is not left paused for good), and the same loop goes on serving.
   */
  @Test
  void aClientLeavingPartWayThroughALargeAnswerClosesTheWorkersConnection() throws Exception {
    RoutingHarness c = harness(Map.of());
    int size = 12 * 1024 * 1024;
    byte[] payload = pattern(size);
    RawWorker w =
        later(
            new RawWorker(
                (n, s, head, body) -> {
                  if (body.contains("small")) {
                    send(s, json(200, "{\"small\":true}"));
                    return;
                  }
                  OutputStream out = s.getOutputStream();
                  out.write(
                      ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                              + size
                              + "\r\n\r\n")
                          .getBytes(StandardCharsets.ISO_8859_1));
                  out.write(payload); // fails once the coordinator closes the connection
                  out.flush();
                }));
    w.register(c, "vllm");
    try (SlowClient client = new SlowClient(c.server.port(), 8 * 1024)) {
      client.write(completion("big"));
      assertThat(line(client.in)).startsWith("HTTP/1.1 200");
      assertThat(client.in.readNBytes(100_000)).hasSize(100_000);
    }
    String closed = w.closedByCoordinator.poll(10, TimeUnit.SECONDS);
    assertThat(closed).isNotNull();
    try (Raw raw = new Raw(c)) {
      Answer a = ok(raw, "small");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Timeouts

  /**
   * A worker that never answers (or sends a head that never ends): 504 after RMA_UPSTREAM_TIMEOUT,
   * its connection closed, and the same loop serves other clients in the meantime.
   */
  @Test
  void aSilentWorkerIs504WhileOthersAreServed() throws Exception {
    RoutingHarness c = harness(Map.of("RMA_UPSTREAM_TIMEOUT", "1s"));
    CountDownLatch reached = new CountDownLatch(2);
    RawWorker silent =
        later(
            new RawWorker(
                (n, s, head, body) -> {
                  if (n == 2) {
                    send(s, "HTTP/1.1 200 OK\r\nContent-Type: appl"); // and nothing more
                  }
                  reached.countDown();
                }));
    String silentId = silent.register(c, "vllm");
    StubWorker rag = later(new StubWorker("rag"));
    c.register(rag, "rag", List.of());
    for (int round = 1; round <= 2; round++) {
      try (Raw waiting = new Raw(c);
          Raw other = new Raw(c)) {
        long start = System.nanoTime();
        waiting.write(completion("hang"));
        assertThat(awaitCount(reached, 2 - round)).isTrue();
        for (int i = 0; i < 5; i++) {
          Answer a = other.exchange(post("/api/inference/rag/query", "{\"query\":\"q\"}", ""));
          assertThat(a.status()).as(a.body()).isEqualTo(200);
        }
        assertThat(waiting.in.available()).as("answered before the timeout").isZero();
        Answer a = waiting.read();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(a.status()).as(a.body()).isEqualTo(504);
        assertThat(a.json().path("detail").asText()).contains(silentId, "no answer within 1s");
        assertThat(millis).isBetween(900L, 5_000L);
        if (round == 1) {
          // Round 2 stops halfway through the head: Helidon 4.5's client then leaves the socket
          // to the worker (or the JVM's cleaner) to close.
          assertThat(silent.closedByCoordinator.poll(10, TimeUnit.SECONDS)).isNotNull();
        }
      }
    }
  }

  /**
   * A worker whose port takes no more connections (its accept queue is full, so a connect hangs):
   * skipped after RMA_UPSTREAM_CONNECT_TIMEOUT for one that answers; alone, a 502 saying so.
   */
  @Test
  void aWorkerThatCannotBeConnectedToIsSkippedAfterTheConnectTimeout() throws Exception {
    RoutingHarness c =
        harness(
            Map.of(
                "RMA_UPSTREAM_CONNECT_TIMEOUT", "300ms",
                "RMA_EJECT_AFTER_FAILURES", "1000"));
    ServerSocket full = later(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
    for (int i = 0; i < 3; i++) {
      Socket filler = later(new Socket());
      try {
        filler.connect(full.getLocalSocketAddress(), 200);
      } catch (SocketTimeoutException e) {
        // the queue is full: what the coordinator meets next
      }
    }
    Map<String, Object> stuck =
        Map.of(
            "capabilities", Map.of("cpu_cores", 8, "ram", "32GB"),
            "ip_address", "127.0.0.1",
            "port", full.getLocalPort(),
            "services", List.of("vllm", "rag"));
    String stuckId = c.register(stuck);
    StubWorker well = later(echo(new StubWorker("well")));
    c.register(well, "vllm", List.of());
    try (Raw raw = new Raw(c)) {
      for (int i = 0; i < 6; i++) {
        Answer a = ok(raw, "hi");
        assertThat(a.json().path("worker").asText()).isEqualTo("well");
      }
      long start = System.nanoTime();
      Answer rag = raw.exchange(post("/api/inference/rag/query", "{\"query\":\"q\"}", ""));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(rag.status()).as(rag.body()).isEqualTo(502);
      assertThat(rag.json().path("detail").asText())
          .contains(stuckId + " (connect timed out after 300ms)");
      assertThat(millis).isBetween(250L, 5_000L);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Load

  /** 50 clients x 20 requests each over kept-alive and fresh connections, two workers: all 200. */
  @Test
  void manyConcurrentClientsAreAllAnswered() throws Exception {
    RoutingHarness c = harness(Map.of("RMA_EJECT_AFTER_FAILURES", "1000"));
    StubWorker a = later(echo(new StubWorker("a")));
    StubWorker b = later(echo(new StubWorker("b")));
    c.register(a, "vllm", List.of());
    c.register(b, "vllm", List.of());
    ExecutorService threads = Executors.newFixedThreadPool(50);
    try {
      List<Future<List<String>>> results = new ArrayList<>();
      for (int t = 0; t < 50; t++) {
        int client = t;
        results.add(
            threads.submit(
                () -> {
                  List<String> problems = new ArrayList<>();
                  Raw raw = new Raw(c);
                  try {
                    for (int i = 0; i < 20; i++) {
                      if (client % 2 == 1 && i > 0) {
                        raw.close();
                        raw = new Raw(c);
                      }
                      String prompt = "c" + client + "r" + i;
                      Answer r = raw.exchange(completion(prompt));
                      if (r.status() != 200
                          || !prompt.equals(r.json().path("got").path("prompt").asText())) {
                        problems.add(prompt + ": " + r.status() + " " + r.body());
                      }
                    }
                  } finally {
                    raw.close();
                  }
                  return problems;
                }));
      }
      List<String> problems = new ArrayList<>();
      for (Future<List<String>> f : results) {
        problems.addAll(f.get(50, TimeUnit.SECONDS));
      }
      assertThat(problems).isEmpty();
    } finally {
      threads.shutdownNow();
    }
    assertThat(a.hits.get() + b.hits.get()).isEqualTo(1000);
    assertThat(a.hits.get()).isPositive();
    assertThat(b.hits.get()).isPositive();
  }

  // ---------------------------------------------------------------------------------------------
  // Bugs found (disabled until mended; see the reasons)

  /**
   * A client that sent one large prompt (so the loop's read buffer grew to ~72 KiB) and then
   * pipelines a few thousand small requests the loop answers at once (GET /v1/models here; 400s,
   * 503s or 429s do the same): all are answered, and the loop lives on for other clients.
   */
  @Test
  void aLongRunOfPipelinedRequestsAnsweredAtOnceDoesNotKillTheLoop() throws Exception {
    RoutingHarness c = harness(Map.of());
    String models = "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n";
    String big =
        post(
            "/v1/completions",
            "{\"prompt\":\"" + "z".repeat(LARGE_BODY - 20) + "\"}",
            "X-Pad: " + "p".repeat(7_900) + "\r\n");
    int count = 3_000;
    try (Raw raw = new Raw(c)) {
      raw.write(big); // 503 (no worker); the loop's read buffer for this connection is now large
      assertThat(raw.read().status()).isEqualTo(503);
      CompletableFuture<Void> writing =
          CompletableFuture.runAsync(
              () -> {
                try {
                  raw.write(models.repeat(count));
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      InputStream in = new BufferedInputStream(raw.in);
      for (int i = 0; i < count; i++) {
        int status;
        try {
          status = readStatusAndSkip(in);
        } catch (IOException e) {
          throw new AssertionError("answer " + (i + 1) + " of " + count + " did not come", e);
        }
        assertThat(status).isEqualTo(200);
      }
      writing.get(10, TimeUnit.SECONDS);
    }
    try (Raw raw = new Raw(c)) {
      raw.socket.setSoTimeout(3_000);
      assertThat(raw.exchange(get("/v1/models")).status()).isEqualTo(200);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static StubWorker echo(StubWorker w) {
    for (String path : List.of("/v1/completions", "/query")) {
      w.on(path, (ex, body) -> StubWorker.json(ex, 200, Map.of("worker", w.name, "got", body)));
    }
    return w;
  }

  /** A whole answer with a JSON body and its length. */
  private static String json(int status, String body) {
    return "HTTP/1.1 "
        + status
        + " X\r\nContent-Type: application/json\r\nContent-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length
        + "\r\n\r\n"
        + body;
  }

  private static void send(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
  }

  private static byte[] pattern(int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) ('a' + (i * 7 + i / 4093) % 26);
    }
    return b;
  }

  /** A completion sent on {@code raw} that must be answered 200; its answer. */
  private static Answer ok(Raw raw, String prompt) throws IOException {
    Answer a = raw.exchange(completion(prompt));
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    return a;
  }

  /** Waits for a latch to come down to {@code count}. */
  private static boolean awaitCount(CountDownLatch latch, long count) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (latch.getCount() > count) {
      if (System.nanoTime() - end > 0) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  /** An answer read as bytes. */
  record Bytes(int status, Map<String, String> headers, byte[] body) {}

  /** A client with a small receive window that reads slowly. */
  private static final class SlowClient implements AutoCloseable {
    final Socket socket;
    final InputStream in;

    SlowClient(int port, int receiveBuffer) throws IOException {
      socket = new Socket();
      socket.setReceiveBufferSize(receiveBuffer);
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
      socket.setSoTimeout(10_000);
      in = socket.getInputStream();
    }

    void write(String s) throws IOException {
      socket.getOutputStream().write(s.getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
    }

    /** Reads one answer; {@code slowly}: 4 KiB at a time with a pause every 64 KiB. */
    Bytes read(boolean slowly) throws IOException, InterruptedException {
      String status = line(in);
      Map<String, String> headers = new LinkedHashMap<>();
      for (String h = line(in); !h.isEmpty(); h = line(in)) {
        int colon = h.indexOf(':');
        headers.put(
            h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
      int code = Integer.parseInt(status.substring(9, 12));
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        for (int size = Integer.parseInt(line(in).trim(), 16);
            size > 0;
            size = Integer.parseInt(line(in).trim(), 16)) {
          readSlowly(size, body, slowly);
          assertThat(line(in)).isEmpty();
        }
        assertThat(line(in)).isEmpty();
      } else {
        readSlowly(Integer.parseInt(headers.getOrDefault("content-length", "0")), body, slowly);
      }
      return new Bytes(code, headers, body.toByteArray());
    }

    private void readSlowly(int n, ByteArrayOutputStream to, boolean slowly)
        throws IOException, InterruptedException {
      byte[] buf = new byte[4096];
      int left = n;
      long since = 0;
      while (left > 0) {
        int r = in.read(buf, 0, Math.min(buf.length, left));
        if (r < 0) {
          throw new IOException("closed with " + left + " bytes of " + n + " to come");
        }
        to.write(buf, 0, r);
        left -= r;
        since += r;
        if (slowly && since >= 64 * 1024) {
          since = 0;
          Thread.sleep(1);
        }
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Reads an answer with a Content-Length off {@code in}; returns its status. */
  private static int readStatusAndSkip(InputStream in) throws IOException {
    String status = line(in);
    int length = 0;
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      if (h.regionMatches(true, 0, "content-length:", 0, 15)) {
        length = Integer.parseInt(h.substring(15).trim());
      }
    }
    if (in.readNBytes(length).length < length) {
      throw new IOException("closed mid-body");
    }
    return Integer.parseInt(status.substring(9, 12));
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new IOException("connection closed mid-answer");
      }
      b.write(c);
    }
    String s = b.toString(StandardCharsets.ISO_8859_1);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }

  /**
   * A worker on a raw socket: reads each request (head and Content-Length body) and lets its script
   * answer it, or not. Counts connections and requests, and notes each connection the coordinator
   * closed.
   */
  static final class RawWorker implements AutoCloseable {
    /** Answers request {@code n} (numbered from 1 over all connections), read on {@code s}. */
    interface Script {
      void answer(int n, Socket s, String head, String body) throws Exception;
    }

    final ServerSocket server;
    final Script script;
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    final LinkedBlockingQueue<String> closedByCoordinator = new LinkedBlockingQueue<>();
    final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    final List<Socket> sockets = new CopyOnWriteArrayList<>();

    RawWorker(Script script) throws IOException {
      this.script = script;
      this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
      Thread.ofVirtual().name("raw-worker-accept").start(this::acceptAll);
    }

    int port() {
      return server.getLocalPort();
    }

    /** Registers as a push worker of {@code service}; returns the worker id. */
    String register(RoutingHarness c, String service) {
      return c.register(
          Map.of(
              "capabilities", Map.of("cpu_cores", 8, "ram", "32GB"),
              "ip_address", "127.0.0.1",
              "port", port(),
              "services", List.of(service)));
    }

    private void acceptAll() {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          connections.incrementAndGet();
          sockets.add(s);
          Thread.ofVirtual().start(() -> serve(s));
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(Socket s) {
      try (s) {
        InputStream in = s.getInputStream();
        while (true) {
          String head = readHead(in);
          if (head == null) {
            closedByCoordinator.add("closed");
            return;
          }
          Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
          int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
          String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
          script.answer(requests.incrementAndGet(), s, head, body);
          if (s.isClosed()) {
            return;
          }
        }
      } catch (SocketTimeoutException e) {
        failures.add(e);
      } catch (IOException e) {
        closedByCoordinator.add("reset: " + e);
      } catch (Exception | AssertionError e) {
        failures.add(e);
      }
    }

    /** The request head, or null when the connection ended before one began. */
    private static String readHead(InputStream in) throws IOException {
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          return null;
        }
        head.append((char) b);
      }
      return head.toString();
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
