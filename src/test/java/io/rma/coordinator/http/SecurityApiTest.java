package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.CoordinatorFixture.Answer;
import io.rma.coordinator.testing.MutableClock;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Join token, admin token, credential revocation, SSRF checks at registration, limits. */
class SecurityApiTest {
  private static final String WORKER = "{\"capabilities\": {\"cpu_cores\": 4, \"ram\": \"16GB\"}}";
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");

  private CoordinatorFixture coordinator(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(Map.of("RMA_REGISTRATIONS_PER_MINUTE", "0"));
    env.putAll(extra);
    return new CoordinatorFixture(env, clock);
  }

  @Test
  void registrationNeedsTheJoinTokenWhenOneIsSet() {
    try (CoordinatorFixture api = coordinator(Map.of("RMA_JOIN_TOKEN", "let-me-in"))) {
      assertThat(api.post("/api/worker/register", WORKER).status()).isEqualTo(401);
      assertThat(api.post("/api/worker/register", WORKER, "wrong").status()).isEqualTo(401);
      Answer ok = api.post("/api/worker/register", WORKER, "let-me-in");
      assertThat(ok.status()).isEqualTo(200);
      // The join token is not a worker credential.
      String beat = "{\"worker_id\": \"" + ok.json().get("worker_id").asText() + "\"}";
      assertThat(api.post("/api/worker/heartbeat", beat, "let-me-in").status()).isEqualTo(403);
      assertThat(
              api.post("/api/worker/heartbeat", beat, ok.json().get("worker_token").asText())
                  .status())
          .isEqualTo(200);
    }
  }

  @Test
  void adminEndpointsNeedTheAdminTokenWhenOneIsSet() {
    try (CoordinatorFixture api = coordinator(Map.of("RMA_ADMIN_TOKEN", "root"))) {
      for (String path :
          new String[] {"/api/admin/workers", "/api/admin/stats", "/api/admin/health"}) {
        assertThat(api.get(path).status()).as(path).isEqualTo(401);
        assertThat(api.get(path, "nope").status()).as(path).isEqualTo(401);
        assertThat(api.get(path, "root").status()).as(path).isEqualTo(200);
      }
      // Probes and the landing pages stay open.
      assertThat(api.get("/health").status()).isEqualTo(200);
      assertThat(api.get("/").status()).isEqualTo(200);
      assertThat(api.get("/observe/health/ready").status()).isIn(200, 204);

      String id = api.post("/api/worker/register", WORKER).json().get("worker_id").asText();
      assertThat(api.post("/api/admin/workers/" + id + "/drain", "").status()).isEqualTo(401);
      Answer drained = api.post("/api/admin/workers/" + id + "/drain", "", "root");
      assertThat(drained.status()).as(drained.body()).isEqualTo(200);
      JsonNode w = api.get("/api/admin/workers", "root").json().get("workers").get(0);
      assertThat(w.get("phase").asText()).isEqualTo("Draining");
      assertThat(api.post("/api/admin/workers/" + id + "/undrain", "", "root").status())
          .isEqualTo(200);
      assertThat(
              api.get("/api/admin/workers", "root")
                  .json()
                  .get("workers")
                  .get(0)
                  .get("phase")
                  .asText())
          .isEqualTo("Healthy");
      assertThat(api.post("/api/admin/workers/worker-nobody/drain", "", "root").status())
          .isEqualTo(404);
    }
  }

  @Test
  void withoutAnAdminTokenReadsAreOpenAndChangesAreRefused() {
    try (CoordinatorFixture api = coordinator(Map.of())) {
      String id = api.post("/api/worker/register", WORKER).json().get("worker_id").asText();
      assertThat(api.get("/api/admin/workers").status()).isEqualTo(200);
      Answer drain = api.post("/api/admin/workers/" + id + "/drain", "");
      assertThat(drain.status()).isEqualTo(403);
      assertThat(drain.json().get("detail").asText()).contains("RMA_ADMIN_TOKEN");
    }
  }

  @Test
  void aCredentialIsRevokedWhenItsWorkerIsUnregisteredOrPruned() {
    try (CoordinatorFixture api = coordinator(Map.of())) {
      JsonNode a = api.post("/api/worker/register", WORKER).json();
      JsonNode b = api.post("/api/worker/register", WORKER).json();
      String idA = a.get("worker_id").asText();
      String tokenA = a.get("worker_token").asText();
      assertThat(api.delete("/api/worker/unregister/" + idA, tokenA).status()).isEqualTo(200);
      assertThat(
              api.post("/api/worker/heartbeat", "{\"worker_id\": \"" + idA + "\"}", tokenA)
                  .status())
          .isEqualTo(404);
      // Re-registering the old id with the revoked credential is a new registration, not a
      // takeover.
      Answer again =
          api.post(
              "/api/worker/register",
              WORKER.replaceFirst("\\{", "{\"worker_id\": \"" + idA + "\","),
              tokenA);
      assertThat(again.status()).isEqualTo(200);
      assertThat(again.json().get("worker_token").asText()).isNotEqualTo(tokenA);

      String idB = b.get("worker_id").asText();
      clock.advance(Duration.ofHours(1));
      api.coordinator.loop().runOnce();
      assertThat(api.coordinator.store().get(idB)).isEmpty();
      assertThat(
              api.post(
                      "/api/worker/heartbeat",
                      "{\"worker_id\": \"" + idB + "\"}",
                      b.get("worker_token").asText())
                  .status())
          .isEqualTo(404);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"tunnel_url\": \"http://169.254.169.254/\"",
        "\"tunnel_url\": \"file:///etc/passwd\"",
        "\"tunnel_url\": \"gopher://example.org:70/\"",
        "\"tunnel_url\": \"http://0.0.0.0:80\"",
        "\"tunnel_url\": \"http://[fd00:ec2::254]/\"",
        "\"tunnel_url\": \"not a url at all\"",
        "\"ip_address\": \"169.254.169.254\"",
        "\"ip_address\": \"0.0.0.0\"",
        "\"ip_address\": \"localhost\"",
        "\"tunnel_url\": \"http://localhost:9/\"",
      })
  void registrationsWithDeniedEndpointsAreRefused(String field) {
    try (CoordinatorFixture api = coordinator(Map.of("RMA_ALLOW_LOOPBACK_WORKERS", "false"))) {
      Answer a = api.post("/api/worker/register", WORKER.replaceFirst("\\{", "{" + field + ","));
      assertThat(a.status()).as(a.body()).isEqualTo(422);
      assertThat(a.json().get("detail").asText()).contains("refused");
      assertThat(api.coordinator.store().list()).isEmpty();
    }
  }

  @Test
  void aFloodOfRegistrationsIs429WithRetryAfter() throws Exception {
    try (CoordinatorFixture api = coordinator(Map.of("RMA_REGISTRATIONS_PER_MINUTE", "5"))) {
      for (int i = 0; i < 5; i++) {
        assertThat(api.post("/api/worker/register", WORKER).status()).isEqualTo(200);
      }
      HttpResponse<String> refused =
          api.http.send(
              HttpRequest.newBuilder(URI.create(api.url("/api/worker/register")))
                  .POST(HttpRequest.BodyPublishers.ofString(WORKER))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(refused.headers().firstValue("Retry-After"))
          .hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isBetween(1L, 60L));
      // A minute later the bucket has refilled.
      clock.advance(Duration.ofMinutes(1));
      assertThat(api.post("/api/worker/register", WORKER).status()).isEqualTo(200);
    }
  }

  @Test
  void aFloodOfInferenceRequestsIs429WhenALimitIsSet() {
    try (CoordinatorFixture api = coordinator(Map.of("RMA_INFERENCE_PER_SECOND", "2"))) {
      // No worker: the first two are let through (and find none), the third is turned away.
      assertThat(api.post("/api/inference/rag/query?query=x", "").status()).isEqualTo(503);
      assertThat(api.post("/v1/completions", "{\"prompt\": \"hi\"}").status()).isEqualTo(503);
      Answer limited = api.post("/api/inference/graph/extract?text=x", "");
      assertThat(limited.status()).isEqualTo(429);
      assertThat(limited.json().get("detail").asText()).contains("inference");
      // Worker calls are not counted against it.
      assertThat(api.get("/api/admin/stats").status()).isEqualTo(200);
      clock.advance(Duration.ofSeconds(1));
      assertThat(api.post("/api/inference/rag/query?query=x", "").status()).isEqualTo(503);
    }
  }

  @Test
  void thePoolHasACap() {
    try (CoordinatorFixture api = coordinator(Map.of("RMA_MAX_WORKERS", "2"))) {
      assertThat(api.post("/api/worker/register", WORKER).status()).isEqualTo(200);
      assertThat(api.post("/api/worker/register", WORKER).status()).isEqualTo(200);
      Answer full = api.post("/api/worker/register", WORKER);
      assertThat(full.status()).isEqualTo(503);
      assertThat(full.json().get("detail").asText()).contains("RMA_MAX_WORKERS");
    }
  }
}
