package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.runtime.Server;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real standalone coordinator (in-memory store) on a random port, and a client for it. Workers
 * join through the real REST API with {@code RMA_WORKER_AUTH=none}.
 */
final class RoutingHarness implements AutoCloseable {
  final Coordinator coordinator;
  final Server server;
  final HttpClient http = client();

  /**
   * A second client for the inference routes: its connections carry nothing else, so with the fast
   * path on (the default) they are served by it from their first request to their last (a
   * connection that carried a worker API call first would be Helidon's for good).
   */
  final HttpClient inferenceHttp = client();

  private static HttpClient client() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  RoutingHarness(Map<String, String> env) {
    Map<String, String> all = new HashMap<>();
    all.put("RMA_WORKER_AUTH", "none");
    all.putAll(env);
    CoordinatorConfig config = ConfigLoader.load(all);
    coordinator = Coordinator.standalone(config, Clock.systemUTC());
    server = coordinator.start(0);
  }

  RoutingHarness() {
    this(Map.of());
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  /** Registers a push worker at the stub's address; returns its id. */
  String register(StubWorker stub, String service, List<String> models) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("capabilities", Map.of("cpu_cores", 8, "ram", "32GB"));
    body.put("ip_address", "127.0.0.1");
    body.put("port", stub.port());
    body.put("services", List.of(service));
    body.put("models", models);
    return register(body);
  }

  String register(Map<String, Object> body) {
    HttpResponse<String> r = post("/api/worker/register", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json(r).get("worker_id").asText();
  }

  void heartbeat(String id, double load, String status) {
    HttpResponse<String> r =
        post(
            "/api/worker/heartbeat",
            Map.of("worker_id", id, "status", status, "current_load", load));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  HttpResponse<String> post(String path, Object body) {
    try {
      return postRaw(path, StubWorker.JSON.writeValueAsString(body));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  HttpResponse<String> postRaw(String path, String body) {
    return send(
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20)).GET().build());
  }

  HttpResponse<String> send(HttpRequest request) {
    String path = request.uri().getPath();
    boolean inference =
        path.startsWith("/v1/")
            || (path.startsWith("/api/inference/") && !path.startsWith("/api/inference/tasks"));
    try {
      return (inference ? inferenceHttp : http).send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static JsonNode json(HttpResponse<String> r) {
    try {
      return StubWorker.JSON.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + r.body(), e);
    }
  }

  @Override
  public void close() {
    server.stop();
    coordinator.close();
    http.close();
  }
}
