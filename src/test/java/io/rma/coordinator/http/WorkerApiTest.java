package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.security.WorkerCredentials;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.CoordinatorFixture.Answer;
import io.rma.coordinator.testing.MutableClock;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The worker and admin API over real HTTP, with the default worker auth (RMA_WORKER_AUTH=auto). */
class WorkerApiTest {
  static final String GPU_WORKER =
      """
      {"capabilities": {"cpu_cores": 8, "ram": "31.2GB", "gpu_type": "RTX 4090",
       "gpu_memory": "24564MB", "storage": "1TB"},
       "ip_address": "10.0.0.5", "port": 8000, "models": ["llama3"]}
      """;

  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private CoordinatorFixture api;

  @BeforeEach
  void start() {
    api = new CoordinatorFixture(Map.of(), clock);
  }

  @AfterEach
  void stop() {
    api.close();
  }

  private Answer register(String body) {
    Answer a = api.post("/api/worker/register", body);
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    return a;
  }

  @Test
  void registerHeartbeatListAndUnregisterRoundTrip() {
    JsonNode reg = register(GPU_WORKER).json();
    String id = reg.get("worker_id").asText();
    String token = reg.get("worker_token").asText();
    assertThat(reg.get("tier").asInt()).isEqualTo(1);
    assertThat(reg.get("assigned_containers").get(0).get("name").asText()).isEqualTo("vllm");
    assertThat(reg.get("assigned_containers").get(0).fieldNames())
        .toIterable()
        .containsExactly("name", "image", "port", "env");
    assertThat(reg.get("heartbeat_url").asText()).endsWith("/api/worker/heartbeat");
    assertThat(reg.get("heartbeat_interval").asInt()).isEqualTo(30);
    assertThat(reg.get("endpoint").asText()).isEqualTo("http://10.0.0.5:8000");
    assertThat(reg.has("coordinator_url")).isTrue();
    assertThat(reg.has("tunnel_url")).isTrue();

    Answer beat =
        api.post(
            "/api/worker/heartbeat",
            "{\"worker_id\": \""
                + id
                + "\", \"status\": \"healthy\", \"current_load\": 0.25,"
                + " \"available_memory\": \"20GB\"}",
            token);
    assertThat(beat.status()).as(beat.body()).isEqualTo(200);
    assertThat(beat.json().get("phase").asText()).isEqualTo("Healthy");

    JsonNode workers = api.get("/api/admin/workers").json().get("workers");
    assertThat(workers).hasSize(1);
    JsonNode w = workers.get(0);
    assertThat(w.get("worker_id").asText()).isEqualTo(id);
    assertThat(w.get("tier").asInt()).isEqualTo(1);
    assertThat(w.get("status").asText()).isEqualTo("healthy");
    assertThat(w.get("current_load").asDouble()).isEqualTo(0.25);
    assertThat(w.get("available_memory").asText()).isEqualTo("20GB");
    assertThat(w.get("capabilities").get("gpu_memory").asText()).isEqualTo("24564MB");
    assertThat(w.get("assigned_services").get(0).asText()).isEqualTo("vllm");

    JsonNode stats = api.get("/api/admin/stats").json();
    assertThat(stats.get("total_workers").asInt()).isEqualTo(1);
    assertThat(stats.get("healthy_workers").asInt()).isEqualTo(1);
    assertThat(stats.get("workers_by_tier").get("gpu_workers").asInt()).isEqualTo(1);
    assertThat(stats.get("workers_by_tier").get("cpu_workers").asInt()).isZero();

    Answer gone = api.delete("/api/worker/unregister/" + id, token);
    assertThat(gone.status()).as(gone.body()).isEqualTo(200);
    assertThat(api.get("/api/admin/workers").json().get("workers")).isEmpty();

    Answer afterwards = api.post("/api/worker/heartbeat", "{\"worker_id\": \"" + id + "\"}", token);
    assertThat(afterwards.status()).isEqualTo(404);
    assertThat(afterwards.json().get("action").asText()).isEqualTo("register");
    assertThat(afterwards.json().get("detail").asText()).contains("register again");
  }

  @Test
  void aGpuWithFourGibIsNotTierOneAndUnknownSizesRegister() {
    String small =
        """
        {"capabilities": {"cpu_cores": 8, "ram": "31.2GB", "gpu_type": "RTX", "gpu_memory": "4096MB"}}
        """;
    assertThat(register(small).json().get("tier").asInt()).isEqualTo(2);
    String amd =
        """
        {"capabilities": {"cpu_cores": 4, "ram": "Unknown (AMD)", "gpu_type": "Unknown (AMD)",
         "gpu_memory": "Unknown (AMD)"}}
        """;
    assertThat(register(amd).json().get("tier").asInt()).isEqualTo(3);
  }

  @Test
  void healthAndProbesAnswer() {
    assertThat(api.get("/").json().get("status").asText()).isEqualTo("healthy"); // as the original
    assertThat(api.get("/api").json().has("endpoints")).isTrue();
    assertThat(api.get("/health").json().get("status").asText()).isEqualTo("healthy");
    assertThat(api.get("/api/admin/health").json().get("store").asText()).isEqualTo("memory");
    assertThat(api.get("/observe/health/live").status()).isIn(200, 204);
    assertThat(api.get("/observe/health/ready").status()).isIn(200, 204);
  }

  @Test
  void withTokenAuthCallsAboutAWorkerNeedItsOwnCredential() {
    api.close();
    api = new CoordinatorFixture(Map.of("RMA_WORKER_AUTH", "token"), clock);
    JsonNode a = register(GPU_WORKER).json();
    JsonNode b = register(GPU_WORKER).json();
    String beatA = "{\"worker_id\": \"" + a.get("worker_id").asText() + "\"}";

    assertThat(api.post("/api/worker/heartbeat", beatA).status()).isEqualTo(401);
    assertThat(api.post("/api/worker/heartbeat", beatA, b.get("worker_token").asText()).status())
        .isEqualTo(403);
    assertThat(api.post("/api/worker/heartbeat", beatA, a.get("worker_token").asText()).status())
        .isEqualTo(200);

    String unregisterA = "/api/worker/unregister/" + a.get("worker_id").asText();
    assertThat(api.delete(unregisterA, null).status()).isEqualTo(401);
    assertThat(api.delete(unregisterA, b.get("worker_token").asText()).status()).isEqualTo(403);

    // Re-registering under A's id takes A over: it needs A's credential too.
    String takeover =
        GPU_WORKER.replaceFirst("\\{", "{\"worker_id\": \"" + a.get("worker_id").asText() + "\",");
    assertThat(api.post("/api/worker/register", takeover, b.get("worker_token").asText()).status())
        .isEqualTo(403);
    Answer again = api.post("/api/worker/register", takeover, a.get("worker_token").asText());
    assertThat(again.status()).isEqualTo(200);
    String newToken = again.json().get("worker_token").asText();
    assertThat(newToken).isNotEqualTo(a.get("worker_token").asText());
    // The old credential is revoked by the new registration.
    assertThat(api.post("/api/worker/heartbeat", beatA, a.get("worker_token").asText()).status())
        .isEqualTo(403);
    assertThat(api.post("/api/worker/heartbeat", beatA, newToken).status()).isEqualTo(200);
  }

  @Test
  void theCredentialIsNeverStoredOnlyItsHash() {
    JsonNode reg = register(GPU_WORKER).json();
    var stored = api.coordinator.store().get(reg.get("worker_id").asText()).orElseThrow();
    assertThat(stored.getStatus().getCredentialHash())
        .isEqualTo(WorkerCredentials.hash(reg.get("worker_token").asText()))
        .doesNotContain(reg.get("worker_token").asText());
  }

  @Test
  void legacyAgentsWithoutCredentialsWorkWhenAuthIsOff() {
    try (CoordinatorFixture legacy =
        new CoordinatorFixture(Map.of("RMA_WORKER_AUTH", "none"), clock)) {
      String id = legacy.post("/api/worker/register", GPU_WORKER).json().get("worker_id").asText();
      assertThat(legacy.post("/api/worker/heartbeat", "{\"worker_id\": \"" + id + "\"}").status())
          .isEqualTo(200);
      assertThat(legacy.delete("/api/worker/unregister/" + id, null).status()).isEqualTo(200);
    }
  }

  @Test
  void reRegisteringWithTheSameSpecKeepsItsServiceAfterTheNextLoopPass() {
    String body = GPU_WORKER.replaceFirst("\\{", "{\"worker_id\": \"gpu-box-2\",");
    JsonNode first = register(body).json();
    // vllm, vision, vllm; then the vision worker leaves: a reassignment would now pick vision.
    JsonNode vision = register(GPU_WORKER).json();
    register(GPU_WORKER);
    api.delete(
        "/api/worker/unregister/" + vision.get("worker_id").asText(),
        vision.get("worker_token").asText());
    JsonNode again =
        api.post("/api/worker/register", body, first.get("worker_token").asText()).json();
    assertThat(again.get("assigned_services")).isEqualTo(first.get("assigned_services"));
    api.coordinator.loop().runOnce();
    var stored = api.coordinator.store().get("gpu-box-2").orElseThrow();
    assertThat(stored.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(stored.getStatus().getObservedGeneration()).isEqualTo(1L);
    assertThat(stored.getStatus().getAssignedServices())
        .containsExactly(first.get("assigned_services").get(0).asText());
  }

  @Test
  void aWorkerMayAskForItsOwnValidId() {
    String body = GPU_WORKER.replaceFirst("\\{", "{\"worker_id\": \"gpu-box-1\",");
    assertThat(register(body).json().get("worker_id").asText()).isEqualTo("gpu-box-1");
  }

  @Test
  void anOversizedChunkedBodyIs413() {
    String huge =
        "{\"capabilities\": {\"cpu_cores\": 8, \"ram\": \"" + "x".repeat(2_000_000) + "\"}}";
    Answer a =
        api.send(
            HttpRequest.newBuilder(URI.create(api.url("/api/worker/register")))
                .POST(
                    HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofString(huge))),
            null);
    assertThat(a.status()).isEqualTo(413);
    assertThat(a.json().get("detail").asText()).contains("larger than");
  }

  @Test
  void aWorkerThatDeclaresServicesRunsExactlyThose() {
    register(GPU_WORKER); // takes vllm: gap filling would now hand a GPU worker vision
    Answer declared = register(GPU_WORKER.replaceFirst("\\{", "{\"services\": [\"vllm\"],"));
    assertThat(declared.json().get("assigned_services")).hasSize(1);
    assertThat(declared.json().get("assigned_services").get(0).asText()).isEqualTo("vllm");
    assertThat(declared.json().get("assigned_containers")).hasSize(1);
    assertThat(declared.json().get("assigned_containers").get(0).get("name").asText())
        .isEqualTo("vllm");
    api.coordinator.loop().runOnce();
    assertThat(
            api.coordinator
                .pool()
                .worker(declared.json().get("worker_id").asText())
                .orElseThrow()
                .services())
        .containsExactly("vllm");
    // No vision traffic can reach its vLLM port.
    assertThat(api.post("/api/inference/vision", "{\"prompt\": \"a cat?\"}").status())
        .isEqualTo(503);

    Answer unknown =
        api.post(
            "/api/worker/register",
            GPU_WORKER.replaceFirst("\\{", "{\"services\": [\"vllm\", \"whisper\"],"));
    assertThat(unknown.status()).isEqualTo(422);
    assertThat(unknown.json().get("detail").asText()).startsWith("services").contains("whisper");
  }
}
