package io.rma.coordinator.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * The original project's worker agent, as far as the coordinator can see it: the same calls with
 * the same bodies and headers (python-requests with {@code json=...}), and never an {@code
 * Authorization} header. It registers with {@code {"capabilities": {...}}} only, beats {@code
 * {worker_id, status, current_load, available_memory}}, reports task results as {@code POST
 * /api/worker/task-complete?worker_id=..&task_id=..} with the result as the body, and unregisters
 * on SIGTERM.
 */
final class OriginalAgent {
  static final String CAPABILITIES =
      """
      {"capabilities": {"cpu_cores": 8, "ram": "31.2GB", "gpu_type": "NVIDIA RTX 4090", \
      "gpu_memory": "24564MB", "storage": "1TB"}}""";

  /** An answer as the agent sees it. */
  record Answer(int status, String body) {
    JsonNode json() {
      try {
        return StubWorker.JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }
  }

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final String coordinator;

  /**
   * @param coordinator the URL the agent was configured with, e.g. http://127.0.0.1:8080
   */
  OriginalAgent(String coordinator) {
    this.coordinator = coordinator;
  }

  Answer register(String body) {
    return send("POST", "/api/worker/register", body);
  }

  Answer heartbeat(String workerId, double load) {
    return send(
        "POST",
        "/api/worker/heartbeat",
        "{\"worker_id\": \""
            + workerId
            + "\", \"status\": \"healthy\", \"current_load\": "
            + load
            + ", \"available_memory\": \"20.5GB\"}");
  }

  Answer taskComplete(String workerId, String taskId, String result) {
    return send(
        "POST", "/api/worker/task-complete?worker_id=" + workerId + "&task_id=" + taskId, result);
  }

  Answer unregister(String workerId) {
    return send("DELETE", "/api/worker/unregister/" + workerId, null);
  }

  Answer send(String method, String path, String json) {
    return send(method, path, json, Map.of());
  }

  /** A call with more headers: for the test's clients, never the agent's own calls. */
  Answer send(String method, String path, String json, Map<String, String> headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(coordinator + path))
            .timeout(Duration.ofSeconds(10))
            .header("User-Agent", "python-requests/2.31.0")
            .header("Accept", "*/*");
    headers.forEach(b::header);
    if (json != null) {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(json));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
