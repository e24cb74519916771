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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The admin and root answers carry every field the original service answered (its dashboard reads
 * them), with the original's meanings, and ours beside them.
 */
class OriginalFieldsTest {
  private static final String GPU =
      "{\"capabilities\": {\"cpu_cores\": 8, \"ram\": \"32GB\", \"gpu_type\": \"RTX 4090\","
          + " \"gpu_memory\": \"24564MB\"}, \"ip_address\": \"10.0.0.5\", \"port\": 8000}";
  private static final String SERVICE =
      "{\"capabilities\": {\"cpu_cores\": 4, \"ram\": \"16GB\"}, \"ip_address\": \"10.0.0.6\"}";
  private static final String DATA =
      "{\"capabilities\": {\"cpu_cores\": 1, \"ram\": \"1GB\"}, \"ip_address\": \"10.0.0.7\"}";

  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private CoordinatorFixture api;

  @BeforeEach
  void start() {
    api = new CoordinatorFixture(Map.of("RMA_WORKER_AUTH", "none"), clock);
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private JsonNode register(String body) {
    Answer a = api.post("/api/worker/register", body);
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    return a.json();
  }

  private void beat(JsonNode w, double load) {
    Answer a =
        api.post(
            "/api/worker/heartbeat",
            "{\"worker_id\": \""
                + w.get("worker_id").asText()
                + "\", \"current_load\": "
                + load
                + "}");
    assertThat(a.status()).as(a.body()).isEqualTo(200);
  }

  private static List<String> names(JsonNode node) {
    List<String> out = new ArrayList<>();
    node.fieldNames().forEachRemaining(out::add);
    return out;
  }

  @Test
  void workersAnswerHasTheOriginalFieldsWithContainerNames() {
    register(GPU);
    register(SERVICE);
    JsonNode answer = api.get("/api/admin/workers").json();
    assertThat(names(answer)).contains("workers", "total");
    assertThat(answer.get("total").asInt()).isEqualTo(2);
    for (JsonNode w : answer.get("workers")) {
      assertThat(names(w))
          .contains(
              "worker_id",
              "tier",
              "status",
              "current_load",
              "tasks_completed",
              "assigned_containers",
              "last_heartbeat",
              "registered_at",
              "ip_address",
              "capabilities")
          .contains("phase", "assigned_services", "services"); // ours stay
      // The original dashboard does worker.assigned_containers.map(name => ...).
      assertThat(w.get("assigned_containers").isArray()).isTrue();
      assertThat(w.get("assigned_containers")).allMatch(JsonNode::isTextual).isNotEmpty();
      assertThat(w.get("assigned_containers")).isEqualTo(w.get("assigned_services"));
      assertThat(w.get("status").asText()).isEqualTo("healthy");
      assertThat(w.get("current_load").isNumber()).isTrue();
      assertThat(w.get("capabilities").get("cpu_cores").isNumber()).isTrue();
    }
  }

  @Test
  void statsAnswerHasTheOriginalTierNamesAndLoadByTier() {
    JsonNode gpu = register(GPU);
    JsonNode service1 = register(SERVICE);
    JsonNode service2 = register(SERVICE);
    register(DATA);
    beat(gpu, 0.5);
    beat(service1, 0.2);
    beat(service2, 0.4);
    JsonNode stats = api.get("/api/admin/stats").json();
    assertThat(names(stats))
        .contains(
            "total_workers",
            "healthy_workers",
            "workers_by_tier",
            "average_load_by_tier",
            "total_tasks_completed");
    assertThat(stats.get("total_workers").asInt()).isEqualTo(4);
    assertThat(stats.get("healthy_workers").asInt()).isEqualTo(4);
    JsonNode byTier = stats.get("workers_by_tier");
    assertThat(names(byTier)).contains("gpu_workers", "service_workers", "data_workers");
    assertThat(byTier.get("gpu_workers").asInt()).isEqualTo(1);
    assertThat(byTier.get("service_workers").asInt()).isEqualTo(2);
    assertThat(byTier.get("data_workers").asInt()).isEqualTo(1);
    assertThat(byTier.get("cpu_workers").asInt()).isEqualTo(2); // ours stay
    JsonNode load = stats.get("average_load_by_tier");
    assertThat(names(load)).containsExactly("gpu_workers", "service_workers", "data_workers");
    assertThat(load.get("gpu_workers").asDouble()).isEqualTo(0.5);
    assertThat(load.get("service_workers").asDouble()).isEqualTo(0.3);
    assertThat(load.get("data_workers").asDouble()).isEqualTo(0.0);
    assertThat(stats.get("total_tasks_completed").asLong()).isZero();
  }

  @Test
  void healthAnswerHasTheOriginalOverallStatusAndItsRules() {
    JsonNode health = api.get("/api/admin/health").json();
    assertThat(names(health))
        .contains("overall_status", "workers_by_status", "has_minimum_workers")
        .contains("status", "store"); // ours stay
    assertThat(names(health.get("workers_by_status"))).contains("healthy", "degraded", "offline");
    assertThat(names(health.get("has_minimum_workers")))
        .containsExactly("gpu_workers", "service_workers");
    // No tier-1 and no tier-2 worker: degraded.
    assertThat(health.get("overall_status").asText()).isEqualTo("degraded");
    assertThat(health.get("has_minimum_workers").get("gpu_workers").asBoolean()).isFalse();

    register(GPU);
    assertThat(api.get("/api/admin/health").json().get("overall_status").asText())
        .as("a tier-1 worker but no tier-2 one")
        .isEqualTo("degraded");
    register(SERVICE);
    health = api.get("/api/admin/health").json();
    assertThat(health.get("overall_status").asText()).isEqualTo("healthy");
    assertThat(health.get("has_minimum_workers").get("gpu_workers").isBoolean()).isTrue();
    assertThat(health.get("has_minimum_workers").get("service_workers").asBoolean()).isTrue();
    assertThat(health.get("workers_by_status").get("healthy").asInt()).isEqualTo(2);

    // Three more go silent while the first two beat: more offline than healthy.
    register(DATA);
    register(DATA);
    register(DATA);
    clock.advance(Duration.ofSeconds(60));
    for (JsonNode w : api.get("/api/admin/workers").json().get("workers")) {
      if (w.get("tier").asInt() < 3) {
        beat(w, 0.1);
      }
    }
    clock.advance(Duration.ofSeconds(60));
    health = api.get("/api/admin/health").json();
    assertThat(health.get("workers_by_status").get("offline").asInt()).isEqualTo(3);
    assertThat(health.get("workers_by_status").get("healthy").asInt()).isEqualTo(2);
    assertThat(health.get("overall_status").asText()).isEqualTo("degraded");
  }

  @Test
  void rootAnswersHaveTheOriginalFields() {
    register(GPU);
    register(DATA);
    JsonNode root = api.get("/").json();
    assertThat(names(root)).contains("status", "active_workers", "docs", "api");
    assertThat(root.get("status").asText()).isEqualTo("healthy");
    assertThat(root.get("active_workers").asInt()).isEqualTo(2);
    assertThat(root.get("dashboard").asText()).isEqualTo("/dashboard");
    JsonNode apiRoot = api.get("/api").json();
    assertThat(names(apiRoot)).contains("status", "active_workers", "endpoints");
    assertThat(apiRoot.get("active_workers").asInt()).isEqualTo(2);
    JsonNode health = api.get("/health").json();
    assertThat(names(health.get("workers"))).contains("total", "by_tier", "healthy");
    assertThat(health.get("workers").get("total").asInt()).isEqualTo(2);
    assertThat(health.get("workers").get("healthy").asInt()).isEqualTo(2);
    assertThat(health.get("workers").get("by_tier").get("1").asInt()).isEqualTo(1);
    assertThat(health.get("workers").get("by_tier").get("3").asInt()).isEqualTo(1);

    clock.advance(Duration.ofMinutes(2)); // both Offline: not active any more
    assertThat(api.get("/").json().get("active_workers").asInt()).isZero();
    assertThat(api.get("/health").json().get("workers").get("healthy").asInt()).isZero();
  }
}
