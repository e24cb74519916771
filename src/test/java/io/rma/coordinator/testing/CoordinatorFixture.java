package io.rma.coordinator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.runtime.Server;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/** A standalone coordinator on a random port, and a small JSON client for it. */
public final class CoordinatorFixture implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  public final Coordinator coordinator;
  public final Server server;
  public final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public CoordinatorFixture(Map<String, String> env, Clock clock) {
    this(Coordinator.standalone(ConfigLoader.load(env), clock));
  }

  /** Serves a coordinator the test assembled itself (e.g. holding its database connections). */
  public CoordinatorFixture(Coordinator coordinator) {
    this.coordinator = coordinator;
    server = coordinator.startServer(0);
  }

  public String url(String path) {
    return "http://localhost:" + server.port() + path;
  }

  /** An answer: status and body parsed as JSON (null when the body is not JSON). */
  public record Answer(int status, JsonNode json, String body) {}

  public Answer get(String path) {
    return send(HttpRequest.newBuilder(URI.create(url(path))).GET(), null);
  }

  public Answer get(String path, String token) {
    return send(HttpRequest.newBuilder(URI.create(url(path))).GET(), token);
  }

  public Answer post(String path, String body) {
    return post(path, body, null);
  }

  public Answer post(String path, String body, String token) {
    return send(
        HttpRequest.newBuilder(URI.create(url(path)))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)),
        token);
  }

  public Answer delete(String path, String token) {
    return send(HttpRequest.newBuilder(URI.create(url(path))).DELETE(), token);
  }

  public Answer send(HttpRequest.Builder request, String token) {
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    try {
      HttpResponse<String> r =
          http.send(
              request.timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode json = null;
      try {
        json = r.body().isEmpty() ? null : JSON.readTree(r.body());
      } catch (IOException e) {
        // not JSON: the test looks at body()
      }
      return new Answer(r.statusCode(), json, r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    server.stop();
    coordinator.close();
  }
}
