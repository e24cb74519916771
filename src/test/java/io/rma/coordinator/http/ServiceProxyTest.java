package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /api/service/{name}/{path}} against real HTTP servers that answer with what they received
 * (method, path, query, headers, the body's size and digest).
 */
class ServiceProxyTest extends RoutingTestBase {
  private RoutingHarness c;

  @BeforeEach
  void start() {
    c = closeLater(harness(Map.of("RMA_MAX_INFERENCE_BODY_BYTES", String.valueOf(4 << 20))));
  }

  /** A service worker that answers every request with a description of it. */
  private final class EchoService implements AutoCloseable {
    final HttpServer server;
    final AtomicInteger hits = new AtomicInteger();

    EchoService() throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
      server.createContext("/", this::answer);
      server.start();
      closeLater(this);
    }

    private void answer(HttpExchange ex) throws IOException {
      try (ex) {
        hits.incrementAndGet();
        byte[] body = ex.getRequestBody().readAllBytes();
        Map<String, Object> got = new LinkedHashMap<>();
        got.put("method", ex.getRequestMethod());
        got.put("path", ex.getRequestURI().getRawPath());
        got.put("query", ex.getRequestURI().getRawQuery());
        Map<String, String> headers = new LinkedHashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), String.join(",", v)));
        got.put("headers", headers);
        got.put("size", body.length);
        got.put("sha256", sha256(body));
        byte[] out = StubWorker.JSON.writeValueAsBytes(got);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.getResponseHeaders().set("X-Service", "echo");
        ex.getResponseHeaders().add("Set-Cookie", "a=1");
        ex.getResponseHeaders().add("Set-Cookie", "b=2");
        ex.getResponseHeaders().set("Keep-Alive", "timeout=5");
        ex.sendResponseHeaders(ex.getRequestMethod().equals("HEAD") ? -1 : 200, out.length);
        if (!ex.getRequestMethod().equals("HEAD")) {
          try (OutputStream o = ex.getResponseBody()) {
            o.write(out);
          }
        }
      }
    }

    String register(String service) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("capabilities", Map.of("cpu_cores", 8, "ram", "32GB"));
      body.put("ip_address", "127.0.0.1");
      body.put("port", server.getAddress().getPort());
      body.put("services", List.of(service));
      return c.register(body);
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder b) {
    return c.send(b.timeout(Duration.ofSeconds(20)).build());
  }

  private static JsonNode json(HttpResponse<String> r) throws IOException {
    return StubWorker.JSON.readTree(r.body());
  }

  @Test
  void anyMethodReachesAWorkerOfTheServiceWithItsPathQueryAndHeaders() throws Exception {
    new EchoService().register("notes");
    for (String method : List.of("GET", "DELETE", "PUT", "PATCH", "POST")) {
      HttpRequest.BodyPublisher body =
          method.equals("GET") || method.equals("DELETE")
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString("{\"note\":\"hi\"}");
      HttpResponse<String> r =
          send(
              HttpRequest.newBuilder(c.uri("/api/service/notes/items/7%2F8?q=a%20b&q=c"))
                  .method(method, body)
                  .header("Content-Type", "application/json")
                  .header("X-Trace", "t-1"));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonNode got = json(r);
      assertThat(got.path("method").asText()).isEqualTo(method);
      assertThat(got.path("path").asText()).isEqualTo("/items/7%2F8");
      assertThat(got.path("query").asText()).isEqualTo("q=a%20b&q=c");
      assertThat(got.path("headers").path("x-trace").asText()).isEqualTo("t-1");
      assertThat(r.headers().firstValue("x-service")).hasValue("echo");
      assertThat(r.headers().allValues("set-cookie")).containsExactly("a=1", "b=2");
      assertThat(r.headers().firstValue("keep-alive")).as("hop-by-hop").isEmpty();
    }
  }

  @Test
  void aLargeBodyIsPassedOnWholeAndOneOverTheCapIs413() throws Exception {
    new EchoService().register("upload");
    byte[] file = new byte[3 << 20];
    new java.util.Random(1).nextBytes(file);
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(c.uri("/api/service/upload/files"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(file)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).path("size").asInt()).isEqualTo(file.length);
    assertThat(json(r).path("sha256").asText()).isEqualTo(sha256(file));
    assertThat(json(r).path("headers").path("content-type").asText())
        .isEqualTo("application/octet-stream");

    HttpResponse<String> tooLarge =
        send(
            HttpRequest.newBuilder(c.uri("/api/service/upload/files"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[5 << 20])));
    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(json(tooLarge).path("detail").asText()).contains("larger than");
  }

  @Test
  void hopByHopHeadersAndThoseConnectionNamesAreNotPassedOn() throws Exception {
    new EchoService().register("notes");
    try (RawHttp.Raw raw = new RawHttp.Raw(c)) {
      RawHttp.Answer a =
          raw.exchange(
              "GET /api/service/notes/x HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Private\r\n"
                  + "X-Private: secret\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nX-Public: yes\r\n\r\n");
      assertThat(a.status()).as(a.body()).isEqualTo(200);
      JsonNode headers = a.json().path("headers");
      assertThat(headers.has("x-private")).isFalse();
      assertThat(headers.has("keep-alive")).isFalse();
      assertThat(headers.has("te")).isFalse();
      assertThat(headers.path("x-public").asText()).isEqualTo("yes");
    }
  }

  @Test
  void aWorkerThatCannotBeReachedIsSkippedForAnother() throws Exception {
    int dead;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      dead = free.getLocalPort();
    }
    Map<String, Object> gone = new LinkedHashMap<>();
    gone.put("capabilities", Map.of("cpu_cores", 8, "ram", "32GB"));
    gone.put("ip_address", "127.0.0.1");
    gone.put("port", dead);
    gone.put("services", List.of("notes"));
    c.register(gone);
    EchoService live = new EchoService();
    live.register("notes");
    for (int i = 0; i < 6; i++) {
      HttpResponse<String> r =
          send(
              HttpRequest.newBuilder(c.uri("/api/service/notes/n"))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"n\":" + i + "}")));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
    assertThat(live.hits.get()).isEqualTo(6);
  }

  @Test
  void anUnknownServiceIs404AndAServiceWithoutWorkersIs503WithRetryAfter() throws Exception {
    HttpResponse<String> unknown = send(HttpRequest.newBuilder(c.uri("/api/service/nope/x")));
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json(unknown).path("detail").asText()).contains("no service nope");

    HttpResponse<String> none = send(HttpRequest.newBuilder(c.uri("/api/service/notes")));
    assertThat(none.statusCode()).isEqualTo(503);
    assertThat(none.headers().firstValue("retry-after")).hasValue("1");
    assertThat(json(none).path("detail").asText()).contains("notes");
  }
}
