package io.rma.coordinator.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.CoordinatorFixture.Answer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A pull worker as a real agent would be: it registers, beats, polls and answers over HTTP. */
final class PullWorker {
  private static final ObjectMapper JSON = new ObjectMapper();

  final CoordinatorFixture api;
  final String id;
  final String token;

  private PullWorker(CoordinatorFixture api, String id, String token) {
    this.api = api;
    this.id = id;
    this.token = token;
  }

  static PullWorker registerInMode(CoordinatorFixture api, String mode, String... services) {
    ObjectNode body = JSON.createObjectNode();
    body.putObject("capabilities").put("cpu_cores", 4).put("ram", "16GB");
    body.put("mode", mode);
    var list = body.putArray("services");
    for (String s : services) {
      list.add(s);
    }
    Answer a = api.post("/api/worker/register", body.toString());
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    return new PullWorker(
        api, a.json().get("worker_id").asText(), a.json().get("worker_token").asText());
  }

  /** The same worker (id and credential) talking to another coordinator, e.g. after a restart. */
  PullWorker on(CoordinatorFixture other) {
    return new PullWorker(other, id, token);
  }

  static PullWorker register(CoordinatorFixture api, String... services) {
    return registerInMode(api, "pull", services);
  }

  /** One poll: the raw answer. */
  Answer pollAnswer(int max, double waitSeconds) {
    HttpResponse<String> r =
        send(
            api,
            HttpRequest.newBuilder(
                    URI.create(
                        api.url(
                            "/api/worker/tasks?worker_id="
                                + id
                                + "&max="
                                + max
                                + "&wait="
                                + waitSeconds)))
                .timeout(Duration.ofSeconds((long) waitSeconds + 10))
                .header("Authorization", "Bearer " + token)
                .GET());
    return new Answer(r.statusCode(), json(r), r.body());
  }

  List<JsonNode> poll(int max, double waitSeconds) {
    Answer a = pollAnswer(max, waitSeconds);
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    List<JsonNode> tasks = new ArrayList<>();
    a.json().get("tasks").forEach(tasks::add);
    return tasks;
  }

  /** Polls (long polls of 2 s) until it holds {@code n} tasks; gives up after 20 s. */
  List<JsonNode> pollUntil(int n) {
    List<JsonNode> got = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (got.size() < n && System.nanoTime() < deadline) {
      got.addAll(poll(n - got.size(), 2));
    }
    assertThat(got).as("tasks polled by " + id).hasSize(n);
    return got;
  }

  JsonNode pollOne() {
    return pollUntil(1).get(0);
  }

  Answer post(String path, String body) {
    return api.post(path, body, token);
  }

  Answer answer(JsonNode task, String resultJson) {
    return post(
        "/api/worker/tasks/" + task.get("task_id").asText() + "/result",
        "{\"worker_id\": \""
            + id
            + "\", \"attempt\": "
            + task.get("attempt").asInt()
            + ", \"result\": "
            + resultJson
            + "}");
  }

  Answer error(JsonNode task, String message) {
    return post(
        "/api/worker/tasks/" + task.get("task_id").asText() + "/result",
        "{\"worker_id\": \""
            + id
            + "\", \"attempt\": "
            + task.get("attempt").asInt()
            + ", \"error\": "
            + quote(message)
            + "}");
  }

  void heartbeat() {
    heartbeat("healthy");
  }

  void heartbeat(String status) {
    Answer a =
        post(
            "/api/worker/heartbeat",
            "{\"worker_id\": \""
                + id
                + "\", \"status\": \""
                + status
                + "\", \"current_load\": 0.1}");
    assertThat(a.status()).as(a.body()).isEqualTo(200);
  }

  static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A client call with headers, keeping the response headers for the test to read. */
  static HttpResponse<String> client(
      CoordinatorFixture api,
      String method,
      String path,
      String body,
      Map<String, String> headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(api.url(path)))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return send(api, b);
  }

  static HttpResponse<String> send(CoordinatorFixture api, HttpRequest.Builder b) {
    try {
      return api.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static JsonNode json(HttpResponse<String> r) {
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
