package io.rma.coordinator.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** The coordinator's REST API, called over real HTTP as a worker agent or an admin would. */
final class Api {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  record Answer(int status, JsonNode body) {}

  private final String base;

  Api(int port) {
    this.base = "http://localhost:" + port;
  }

  Answer get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  Answer get(String path, String token) {
    return send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Authorization", "Bearer " + token)
            .GET());
  }

  Answer post(String path, String body, String token) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return send(b);
  }

  Answer delete(String path, String token) {
    return send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Authorization", "Bearer " + token)
            .DELETE());
  }

  /** Registers a worker; returns the answer's body (worker_id, tier, worker_token, ...). */
  JsonNode register(String body) {
    Answer a = post("/api/worker/register", body, null);
    if (a.status() != 200) {
      throw new AssertionError("register answered " + a.status() + ": " + a.body());
    }
    return a.body();
  }

  int heartbeat(JsonNode worker, double load) {
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
