package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.pool.StandaloneWorkerStore;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.runtime.Server;
import java.io.IOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** CORS as a browser exercises it: raw preflights and cross-origin requests, byte for byte. */
class CorsTest {
  private Coordinator coordinator;
  private Server server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop();
      coordinator.close();
    }
  }

  private int start(Map<String, String> extra, BooleanSupplier serving) {
    Map<String, String> env = new HashMap<>(Map.of("RMA_ADMIN_TOKEN", "root"));
    env.putAll(extra);
    var config = ConfigLoader.load(env);
    coordinator =
        new Coordinator(
            config,
            new StandaloneWorkerStore(null, config.namespace(), Clock.systemUTC()),
            Clock.systemUTC(),
            "standalone",
            serving);
    server = coordinator.startServer(0);
    return server.port();
  }

  /** The preflight Chromium sends before a fetch() with an Authorization header. */
  static String preflight(String path, String origin, String method, String headers) {
    return "OPTIONS "
        + path
        + " HTTP/1.1\r\n"
        + "Host: coordinator:8080\r\n"
        + "Connection: keep-alive\r\n"
        + "Accept: */*\r\n"
        + "Access-Control-Request-Method: "
        + method
        + "\r\n"
        + (headers == null ? "" : "Access-Control-Request-Headers: " + headers + "\r\n")
        + "Origin: "
        + origin
        + "\r\n"
        + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
        + " Chrome/156.0.0.0 Safari/537.36\r\n"
        + "Sec-Fetch-Mode: cors\r\n"
        + "Sec-Fetch-Site: cross-site\r\n"
        + "Sec-Fetch-Dest: empty\r\n"
        + "Referer: "
        + origin
        + "/\r\n"
        + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
        + "Accept-Language: en-US,en;q=0.9\r\n\r\n";
  }

  static String get(String path, String origin, String authorization) {
    return "GET "
        + path
        + " HTTP/1.1\r\nHost: coordinator:8080\r\nAccept: */*\r\nOrigin: "
        + origin
        + "\r\n"
        + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
        + "Sec-Fetch-Mode: cors\r\n\r\n";
  }

  @Test
  void everyRouteAnswersABrowsersPreflight204BeforeAnyCredentialCheck() throws IOException {
    int port = start(Map.of(), () -> true);
    // Every documented operation (OpenApiDocumentTest holds the document to the real routing),
    // and a path nothing serves.
    List<RouteRecorder.Operation> operations =
        new java.util.ArrayList<>(OpenApiDocumentTest.operations(OpenApiDocumentTest.document()));
    operations.add(new RouteRecorder.Operation(io.helidon.http.Method.GET, "/no/such/path"));
    assertThat(operations).hasSizeGreaterThan(30);
    try (RawHttp.Raw raw = new RawHttp.Raw(port)) {
      for (RouteRecorder.Operation op : operations) {
        String method = op.method().text();
        RawHttp.Answer a =
            raw.exchange(
                preflight(
                    op.path(), "http://localhost:3000", method, "authorization,content-type"));
        assertThat(a.status()).as(op.toString()).isEqualTo(204);
        assertThat(a.headers())
            .as(op.toString())
            .containsEntry("access-control-allow-origin", "*")
            .containsKey("access-control-max-age")
            .doesNotContainKey("access-control-allow-credentials");
        assertThat(a.headers().get("access-control-allow-methods")).contains(method);
        assertThat(a.headers().get("access-control-allow-headers"))
            .contains("Authorization")
            .contains("Content-Type");
        assertThat(a.body()).isEmpty();
      }
    }
  }

  @Test
  void headersAnOpenAiSdkAsksForAreAllowed() throws IOException {
    int port = start(Map.of(), () -> true);
    try (RawHttp.Raw raw = new RawHttp.Raw(port)) {
      RawHttp.Answer a =
          raw.exchange(
              preflight(
                  "/v1/chat/completions",
                  "https://chat.example.com",
                  "POST",
                  "authorization, content-type, x-stainless-os, openai-organization"));
      assertThat(a.status()).isEqualTo(204);
      assertThat(a.headers().get("access-control-allow-headers"))
          .isEqualTo("Authorization, Content-Type, x-stainless-os, openai-organization");
    }
  }

  @Test
  void crossOriginAnswersCarryAllowOriginErrorsIncluded() throws IOException {
    int port = start(Map.of(), () -> true);
    try (RawHttp.Raw raw = new RawHttp.Raw(port)) {
      RawHttp.Answer refused = raw.exchange(get("/api/admin/stats", "http://localhost:3000", null));
      assertThat(refused.status()).isEqualTo(401);
      assertThat(refused.headers()).containsEntry("access-control-allow-origin", "*");
      assertThat(refused.json().get("detail").asText()).isNotBlank();

      RawHttp.Answer ok =
          raw.exchange(get("/api/admin/stats", "http://localhost:3000", "Bearer root"));
      assertThat(ok.status()).isEqualTo(200);
      assertThat(ok.headers())
          .containsEntry("access-control-allow-origin", "*")
          .doesNotContainKey("access-control-allow-credentials")
          .doesNotContainKey("vary");
      assertThat(ok.headers().get("access-control-expose-headers")).contains("Retry-After");

      RawHttp.Answer none = raw.exchange(RawHttp.get("/api/admin/health"));
      assertThat(none.headers()).doesNotContainKey("access-control-allow-origin");
    }
  }

  @Test
  void listedOriginsAreEchoedWithVaryOriginAndOthersAreNotAllowed() throws IOException {
    int port =
        start(
            Map.of("RMA_CORS_ORIGINS", "https://Dash.example.com/, http://localhost:3000"),
            () -> true);
    try (RawHttp.Raw raw = new RawHttp.Raw(port)) {
      RawHttp.Answer listed =
          raw.exchange(
              preflight("/api/admin/workers", "https://dash.example.com", "GET", "authorization"));
      assertThat(listed.status()).isEqualTo(204);
      assertThat(listed.headers())
          .containsEntry("access-control-allow-origin", "https://dash.example.com")
          .doesNotContainKey("access-control-allow-credentials");
      assertThat(listed.headers().get("vary")).contains("Origin");

      RawHttp.Answer get =
          raw.exchange(get("/api/admin/workers", "http://localhost:3000", "Bearer root"));
      assertThat(get.status()).isEqualTo(200);
      assertThat(get.headers())
          .containsEntry("access-control-allow-origin", "http://localhost:3000")
          .containsEntry("vary", "Origin");

      RawHttp.Answer other =
          raw.exchange(preflight("/api/admin/workers", "https://evil.example", "GET", null));
      assertThat(other.status()).isEqualTo(403);
      assertThat(other.headers()).doesNotContainKey("access-control-allow-origin");
      assertThat(other.json().get("detail").asText()).contains("RMA_CORS_ORIGINS");

      RawHttp.Answer otherGet =
          raw.exchange(get("/api/admin/workers", "https://evil.example", "Bearer root"));
      assertThat(otherGet.status()).isEqualTo(200);
      assertThat(otherGet.headers())
          .doesNotContainKey("access-control-allow-origin")
          .containsEntry("vary", "Origin");
    }
  }

  @Test
  void anEmptyListTurnsCorsOff() throws IOException {
    int port = start(Map.of("RMA_CORS_ORIGINS", ""), () -> true);
    try (RawHttp.Raw raw = new RawHttp.Raw(port)) {
      RawHttp.Answer a =
          raw.exchange(preflight("/api/admin/stats", "http://localhost:3000", "GET", null));
      assertThat(a.status()).isNotEqualTo(204);
      assertThat(a.headers()).doesNotContainKey("access-control-allow-origin");
      RawHttp.Answer get =
          raw.exchange(get("/api/admin/stats", "http://localhost:3000", "Bearer root"));
      assertThat(get.headers()).doesNotContainKey("access-control-allow-origin");
    }
  }

  @Test
  void aStandbyReplicaAnswersPreflightsAndItsRefusalsCarryAllowOrigin() throws IOException {
    int port = start(Map.of(), () -> false);
    try (RawHttp.Raw raw = new RawHttp.Raw(port)) {
      RawHttp.Answer a =
          raw.exchange(preflight("/api/admin/stats", "http://localhost:3000", "GET", null));
      assertThat(a.status()).isEqualTo(204);
      RawHttp.Answer refused =
          raw.exchange(get("/api/admin/stats", "http://localhost:3000", "Bearer root"));
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.headers()).containsEntry("access-control-allow-origin", "*");
    }
  }

  @Test
  void inferenceAnswersCarryAllowOrigin() throws IOException {
    int port = start(Map.of(), () -> true);
    try (RawHttp.Raw raw = new RawHttp.Raw(port)) {
      String post =
          RawHttp.post(
              "/v1/chat/completions",
              "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
              "Origin: https://chat.example.com\r\n");
      RawHttp.Answer a = raw.exchange(post);
      assertThat(a.status()).isEqualTo(503);
      assertThat(a.headers()).containsEntry("access-control-allow-origin", "*");
    }
  }
}
