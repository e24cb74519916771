package io.rma.coordinator.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rma.coordinator.testing.CoordinatorProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real coordinator process with DATABASE_PATH, killed with SIGKILL while it holds queued and
 * leased tasks: after a restart the leases still stand, a worker drains the queue, and every result
 * is there, also after a second kill.
 */
class TaskKillNineTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dir;

  private record Reply(int status, JsonNode json) {}

  private CoordinatorProcess start(Map<String, String> env) throws Exception {
    return CoordinatorProcess.start(dir, env);
  }

  private Reply call(
      CoordinatorProcess r, String method, String path, String body, Map<String, String> h)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://localhost:" + r.port() + path))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    h.forEach(b::header);
    HttpResponse<String> res = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(res.statusCode(), JSON.readTree(res.body()));
  }

  /** A pull worker talking to whichever process is running. */
  private final class Worker {
    final String id;
    final String token;

    Worker(String id, String token) {
      this.id = id;
      this.token = token;
    }

    List<JsonNode> poll(CoordinatorProcess r, int max) throws Exception {
      Reply reply =
          call(
              r,
              "GET",
              "/api/worker/tasks?worker_id=" + id + "&max=" + max + "&wait=1",
              null,
              Map.of("Authorization", "Bearer " + token));
      assertThat(reply.status()).as(reply.json().toString()).isEqualTo(200);
      List<JsonNode> tasks = new ArrayList<>();
      reply.json().get("tasks").forEach(tasks::add);
      return tasks;
    }

    void answer(CoordinatorProcess r, String taskId, int attempt, String result) throws Exception {
      Reply reply =
          call(
              r,
              "POST",
              "/api/worker/tasks/" + taskId + "/result",
              "{\"worker_id\": \""
                  + id
                  + "\", \"attempt\": "
                  + attempt
                  + ", \"result\": "
                  + result
                  + "}",
              Map.of("Authorization", "Bearer " + token));
      assertThat(reply.status()).as(reply.json().toString()).isEqualTo(200);
    }
  }

  private static String resultFor(String taskId) {
    return "{\"echo\": \"" + taskId + "\"}";
  }

  @Test
  void acknowledgedTasksLeasesAndResultsSurviveAKillNine() throws Exception {
    Map<String, String> env = Map.of("DATABASE_PATH", dir.resolve("data/rma.db").toString());
    CoordinatorProcess first = start(env);
    Worker worker;
    List<String> ids = new ArrayList<>();
    List<JsonNode> leased;
    try {
      Reply reg =
          call(
              first,
              "POST",
              "/api/worker/register",
              "{\"capabilities\": {\"cpu_cores\": 4, \"ram\": \"16GB\"}, \"mode\": \"pull\","
                  + " \"services\": [\"rag\"]}",
              Map.of());
      worker =
          new Worker(reg.json().get("worker_id").asText(), reg.json().get("worker_token").asText());
      for (int i = 0; i < 30; i++) {
        Reply accepted =
            call(
                first,
                "POST",
                "/api/inference/tasks",
                "{\"service\": \"rag\", \"request\": {\"query\": \"q" + i + "\"}}",
                Map.of("Prefer", "respond-async"));
        assertThat(accepted.status()).isEqualTo(202);
        ids.add(accepted.json().get("task_id").asText());
      }
      leased = worker.poll(first, 3);
      assertThat(leased)
          .extracting(t -> t.get("task_id").asText())
          .containsExactlyElementsOf(ids.subList(0, 3));
      // The first is answered before the kill; the other two are held when it comes.
      worker.answer(first, ids.get(0), 1, resultFor(ids.get(0)));
    } finally {
      first.kill9();
    }

    CoordinatorProcess second = start(env);
    try {
      Map<String, String> states = new LinkedHashMap<>();
      for (String id : ids) {
        Reply r = call(second, "GET", "/api/inference/tasks/" + id, null, Map.of());
        assertThat(r.status()).as(id).isEqualTo(200);
        states.put(id, r.json().get("status").asText());
      }
      assertThat(states.get(ids.get(0))).isEqualTo("completed");
      assertThat(states.get(ids.get(1))).isEqualTo("leased");
      assertThat(states.get(ids.get(2))).isEqualTo("leased");
      assertThat(states.values().stream().filter("queued"::equals).count()).isEqualTo(27);

      // The leases held across the restart: the same worker's answers are taken.
      worker.answer(second, ids.get(1), 1, resultFor(ids.get(1)));
      worker.answer(second, ids.get(2), 1, resultFor(ids.get(2)));
      int drained = 0;
      for (List<JsonNode> batch = worker.poll(second, 8);
          !batch.isEmpty();
          batch = worker.poll(second, 8)) {
        for (JsonNode t : batch) {
          worker.answer(
              second,
              t.get("task_id").asText(),
              t.get("attempt").asInt(),
              resultFor(t.get("task_id").asText()));
          drained++;
        }
      }
      assertThat(drained).isEqualTo(27);
      assertEveryResult(second, ids);
    } finally {
      second.kill9();
    }

    CoordinatorProcess third = start(env);
    try {
      assertEveryResult(third, ids);
    } finally {
      third.kill9();
    }
  }

  private void assertEveryResult(CoordinatorProcess r, List<String> ids) throws Exception {
    for (String id : ids) {
      Reply reply = call(r, "GET", "/api/inference/tasks/" + id, null, Map.of());
      assertThat(reply.status()).as(id).isEqualTo(200);
      assertThat(reply.json().get("status").asText()).as(id).isEqualTo("completed");
      assertThat(reply.json().get("result").get("echo").asText()).isEqualTo(id);
    }
  }
}
