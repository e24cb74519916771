package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.CoordinatorFixture.Answer;
import io.rma.coordinator.testing.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /api/admin/events}, {@code /api/admin/routes}, {@code /api/admin/tasks} and the pool and
 * route metrics in /observe/metrics, over real HTTP.
 */
class AdminActivityTest {
  private static final String ADMIN = "root";
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private CoordinatorFixture api;

  @BeforeEach
  void start() {
    api =
        new CoordinatorFixture(
            Map.of(
                "RMA_ADMIN_TOKEN", ADMIN,
                "RMA_WORKER_AUTH", "none",
                "RMA_PRUNE_AFTER", "10m"),
            clock);
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private String register(String caps) {
    Answer a = api.post("/api/worker/register", "{\"capabilities\": {" + caps + "}}");
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    return a.json().get("worker_id").asText();
  }

  private JsonNode admin(String path) {
    Answer a = api.get(path, ADMIN);
    assertThat(a.status()).as(path + ": " + a.body()).isEqualTo(200);
    return a.json();
  }

  private static List<String> types(JsonNode events) {
    List<String> out = new ArrayList<>();
    events
        .get("events")
        .forEach(e -> out.add(e.get("type").asText() + " " + e.get("worker_id").asText()));
    return out;
  }

  @Test
  void lifecycleEventsAreListedNewestFirstAndFilterable() {
    String gpu = register("\"cpu_cores\": 8, \"ram\": \"32GB\", \"gpu_memory\": \"24GB\"");
    String small = register("\"cpu_cores\": 1, \"ram\": \"1GB\"");
    String gone = register("\"cpu_cores\": 4, \"ram\": \"8GB\"");
    assertThat(api.post("/api/admin/workers/" + gpu + "/drain", "", ADMIN).status()).isEqualTo(200);
    assertThat(api.post("/api/admin/workers/" + gpu + "/undrain", "", ADMIN).status())
        .isEqualTo(200);
    assertThat(api.delete("/api/worker/unregister/" + gone, null).status()).isEqualTo(200);
    // The small worker goes silent: Offline after 90 s, pruned after 10 min; the GPU one beats.
    clock.advance(Duration.ofSeconds(100));
    api.post("/api/worker/heartbeat", "{\"worker_id\": \"" + gpu + "\"}");
    api.coordinator.loop().runOnce();
    clock.advance(Duration.ofMinutes(10));
    api.post("/api/worker/heartbeat", "{\"worker_id\": \"" + gpu + "\"}");
    api.coordinator.loop().runOnce();

    JsonNode events = admin("/api/admin/events");
    assertThat(types(events))
        .containsExactly(
            "pruned " + small,
            "phase_changed " + small,
            "unregistered " + gone,
            "undrained " + gpu,
            "drained " + gpu,
            "registered " + gone,
            "registered " + small,
            "registered " + gpu);
    JsonNode change = events.get("events").get(1);
    assertThat(change.get("from").asText()).isEqualTo("Healthy");
    assertThat(change.get("to").asText()).isEqualTo("Offline");
    assertThat(events.get("events").get(7).get("detail").asText()).contains("tier 1");
    long latest = events.get("latest_seq").asLong();
    assertThat(latest).isEqualTo(8);

    assertThat(types(admin("/api/admin/events?type=registered,pruned&limit=2")))
        .containsExactly("pruned " + small, "registered " + gone);
    assertThat(types(admin("/api/admin/events?worker=" + gpu)))
        .containsExactly("undrained " + gpu, "drained " + gpu, "registered " + gpu);
    assertThat(types(admin("/api/admin/events?after=" + (latest - 2))))
        .containsExactly("pruned " + small, "phase_changed " + small);
    assertThat(admin("/api/admin/events?after=" + latest).get("events")).isEmpty();

    for (String bad : List.of("limit=0", "limit=x", "limit=1001", "after=-1", "type=exploded")) {
      Answer a = api.get("/api/admin/events?" + bad, ADMIN);
      assertThat(a.status()).as(bad).isEqualTo(422);
      assertThat(a.json().get("detail").asText()).as(bad).isNotBlank();
    }
    assertThat(api.get("/api/admin/events?worker=no%20such", ADMIN).status()).isEqualTo(400);
    assertThat(api.get("/api/admin/events").status()).as("needs the admin token").isEqualTo(401);
  }

  @Test
  void routesCountRequestsErrorsAndLatencyPerRouteOverTheWindow() {
    for (int i = 0; i < 5; i++) {
      // No worker runs vllm: the coordinator answers 503 itself.
      assertThat(api.post("/api/inference/llm", "{\"model\": \"m\", \"prompt\": \"hi\"}").status())
          .isEqualTo(503);
    }
    assertThat(api.get("/v1/models").status()).isEqualTo(200);
    assertThat(api.post("/api/inference/nonsense", "{}").status()).isEqualTo(404);

    JsonNode routes = admin("/api/admin/routes");
    assertThat(routes.get("window_seconds").asInt()).isEqualTo(300);
    assertThat(routes.get("bucket_seconds").asInt()).isEqualTo(10);
    JsonNode llm = route(routes, "llm");
    assertThat(llm.get("requests").asInt()).isEqualTo(5);
    assertThat(llm.get("errors").asInt()).isEqualTo(5);
    assertThat(llm.get("error_ratio").asDouble()).isEqualTo(1.0);
    assertThat(llm.get("latency_ms").get("p50").asDouble()).isPositive();
    assertThat(llm.get("latency_ms").get("p99").asDouble())
        .isGreaterThanOrEqualTo(llm.get("latency_ms").get("p50").asDouble());
    assertThat(llm.get("in_flight").asInt()).isZero();
    assertThat(llm.get("series")).hasSize(30);
    assertThat(route(routes, "openai-models").get("errors").asInt()).isZero();
    assertThat(route(routes, "inference-other").get("client_errors").asInt()).isEqualTo(1);

    clock.advance(Duration.ofMinutes(6));
    assertThat(route(admin("/api/admin/routes"), "llm").get("requests").asInt()).isZero();
    assertThat(route(admin("/api/admin/routes?window=15m"), "llm").get("requests").asInt())
        .isEqualTo(5);
    for (String bad : List.of("5s", "16m", "soon", "1h")) {
      assertThat(api.get("/api/admin/routes?window=" + bad, ADMIN).status()).as(bad).isEqualTo(422);
    }
  }

  private static JsonNode route(JsonNode routes, String name) {
    for (JsonNode r : routes.get("routes")) {
      if (r.get("route").asText().equals(name)) {
        return r;
      }
    }
    throw new AssertionError("no route " + name + " in " + routes);
  }

  @Test
  void tasksAnswerTellsTheQueueDepths() {
    JsonNode tasks = admin("/api/admin/tasks");
    assertThat(tasks.has("queued_by_service")).isTrue();
    assertThat(tasks.get("queued").asInt()).isZero();
    assertThat(tasks.has("waiting_polls")).isTrue();
  }

  @Test
  void metricsHoldThePoolByTierAndPhaseAndTheRoutedRequestsWithoutWorkerIds() {
    String gpu = register("\"cpu_cores\": 8, \"ram\": \"32GB\", \"gpu_memory\": \"24GB\"");
    register("\"cpu_cores\": 4, \"ram\": \"8GB\"");
    register("\"cpu_cores\": 4, \"ram\": \"8GB\"");
    api.post("/api/worker/heartbeat", "{\"worker_id\": \"" + gpu + "\", \"status\": \"degraded\"}");
    api.post("/api/inference/llm", "{\"model\": \"m\", \"prompt\": \"hi\"}");
    String metrics = api.get("/observe/metrics").body();
    assertThat(value(metrics, "rma_workers", "phase=\"degraded\"", "tier=\"1\"")).isEqualTo(1);
    assertThat(value(metrics, "rma_workers", "phase=\"healthy\"", "tier=\"2\"")).isEqualTo(2);
    assertThat(value(metrics, "rma_workers", "phase=\"offline\"", "tier=\"3\"")).isZero();
    assertThat(value(metrics, "rma_registrations_total", "kind=\"new\"")).isGreaterThanOrEqualTo(3);
    assertThat(value(metrics, "rma_heartbeats_total", "reported=\"degraded\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(value(metrics, "rma_requests_total", "route=\"llm\"", "status=\"5xx\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(value(metrics, "rma_request_duration_seconds_count", "route=\"llm\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(metrics).contains("rma_request_duration_seconds_bucket{");
    assertThat(value(metrics, "rma_requests_inflight", "route=\"llm\"")).isZero();
    assertThat(metrics).doesNotContain(gpu);
  }

  /** The value of the first sample of {@code name} whose labels include all of {@code labels}. */
  static double value(String metrics, String name, String... labels) {
    Matcher m = Pattern.compile("(?m)^" + name + "\\{([^}]*)\\} (\\S+)$").matcher(metrics);
    while (m.find()) {
      boolean all = true;
      for (String l : labels) {
        all &= m.group(1).contains(l);
      }
      if (all) {
        return Double.parseDouble(m.group(2));
      }
    }
    throw new AssertionError("no " + name + " with " + List.of(labels) + " in:\n" + metrics);
  }
}
