package io.rma.coordinator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The coordinator's REST API, called over real HTTP as a worker agent or an admin would. */
public final class Api {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** An answer: status and JSON body (an empty object for an empty body). */
  public record Answer(int status, JsonNode body) {}

  private final String base;

  public Api(int port) {
    this.base = "http://localhost:" + port;
  }

  public Answer get(String path) {
    return get(path, null);
  }

  /** GET with a bearer token, or none when {@code token} is null. */
  public Answer get(String path, String token) {
    return send(request(path, token).GET());
  }

  public Answer post(String path, String body, String token) {
    return send(
        request(path, token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  public Answer delete(String path, String token) {
    return send(request(path, token).DELETE());
  }

  /** Registers a worker; returns the answer's body (worker_id, tier, worker_token, ...). */
  public JsonNode register(String body) {
    return register(body, null);
  }

  /** Registers with a bearer token (join token, or the worker's own on re-registration). */
  public JsonNode register(String body, String token) {
    Answer a = post("/api/worker/register", body, token);
    if (a.status() != 200) {
      throw new AssertionError("register answered " + a.status() + ": " + a.body());
    }
    return a.body();
  }

  /** A heartbeat as the worker {@code worker} (a registration answer); returns the status. */
  public int heartbeat(JsonNode worker, double load) {
    return post(
            "/api/worker/heartbeat",
            "{\"worker_id\":\""
                + worker.get("worker_id").asText()
                + "\",\"status\":\"healthy\",\"current_load\":"
                + load
                + ",\"available_memory\":\"12GB\"}",
            worker.get("worker_token").asText())
        .status();
  }

  private HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20));
    return token == null ? b : b.header("Authorization", "Bearer " + token);
  }

  private static Answer send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(
          r.statusCode(), r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
