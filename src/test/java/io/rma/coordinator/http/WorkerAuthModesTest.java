package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.CoordinatorFixture.Answer;
import io.rma.coordinator.testing.MutableClock;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code RMA_WORKER_AUTH}: {@code auto} (the default) accepts workers that never send their
 * credential and binds the ones that do; {@code token} demands it always; {@code none} never.
 */
class WorkerAuthModesTest {
  private static final String WORKER =
      "{\"capabilities\": {\"cpu_cores\": 4, \"ram\": \"16GB\"}, \"ip_address\": \"10.0.0.7\"}";
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  @TempDir Path dir;

  private CoordinatorFixture coordinator(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(Map.of("RMA_REGISTRATIONS_PER_MINUTE", "0"));
    env.putAll(extra);
    return new CoordinatorFixture(env, clock);
  }

  private static JsonNode register(CoordinatorFixture api, String token) {
    Answer a = api.post("/api/worker/register", WORKER, token);
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    return a.json();
  }

  private static int beat(CoordinatorFixture api, JsonNode worker, String token) {
    return api.post(
            "/api/worker/heartbeat",
            "{\"worker_id\": \"" + worker.get("worker_id").asText() + "\"}",
            token)
        .status();
  }

  private static String token(JsonNode worker) {
    return worker.get("worker_token").asText();
  }

  @Test
  void byDefaultAWorkerThatNeverSentItsCredentialNeedsNone() {
    try (CoordinatorFixture api = coordinator(Map.of())) {
      JsonNode w = register(api, null);
      assertThat(beat(api, w, null)).isEqualTo(200);
      assertThat(beat(api, w, null)).isEqualTo(200);
      assertThat(api.get("/api/worker/tasks?worker_id=" + w.get("worker_id").asText()).status())
          .isEqualTo(200);
      assertThat(api.delete("/api/worker/unregister/" + w.get("worker_id").asText(), null).status())
          .isEqualTo(200);
    }
  }

  @Test
  void aWorkerThatSentItsCredentialOnceMustAlwaysSendItAcrossRestarts() {
    Map<String, String> file = Map.of("DATABASE_PATH", dir.resolve("rma.db").toString());
    JsonNode w;
    try (CoordinatorFixture api = coordinator(file)) {
      w = register(api, null);
      JsonNode other = register(api, null);
      assertThat(beat(api, w, token(other))).as("another worker's credential").isEqualTo(403);
      assertThat(beat(api, w, null)).as("a wrong credential binds nothing").isEqualTo(200);

      assertThat(beat(api, w, token(w))).isEqualTo(200);
      assertThat(
              api.coordinator
                  .store()
                  .get(w.get("worker_id").asText())
                  .orElseThrow()
                  .getStatus()
                  .getCredentialInUse())
          .isTrue();
      Answer refused =
          api.post(
              "/api/worker/heartbeat",
              "{\"worker_id\": \"" + w.get("worker_id").asText() + "\"}",
              null);
      assertThat(refused.status()).isEqualTo(401);
      assertThat(refused.json().get("detail").asText()).contains("worker_token");
      assertThat(api.delete("/api/worker/unregister/" + w.get("worker_id").asText(), null).status())
          .isEqualTo(401);
      // The other worker never used its credential: still accepted without.
      assertThat(beat(api, other, null)).isEqualTo(200);
    }
    try (CoordinatorFixture restarted = coordinator(file)) {
      assertThat(beat(restarted, w, null)).isEqualTo(401);
      assertThat(beat(restarted, w, token(w))).isEqualTo(200);
    }
  }

  @Test
  void aStatusWriteThatDropsTheFlagDoesNotUnbindTheWorker() {
    try (CoordinatorFixture api = coordinator(Map.of())) {
      JsonNode w = register(api, null);
      String id = w.get("worker_id").asText();
      assertThat(beat(api, w, token(w))).isEqualTo(200);
      // A status computed before the flag was written (a racing loop pass) lands after it.
      RMAWorkerStatus stale = api.coordinator.store().get(id).orElseThrow().getStatus().copy();
      stale.setCredentialInUse(null);
      api.coordinator.store().updateStatus(id, stale);

      assertThat(beat(api, w, null)).isEqualTo(401);
      assertThat(beat(api, w, token(w))).isEqualTo(200);
      assertThat(api.coordinator.store().get(id).orElseThrow().getStatus().getCredentialInUse())
          .as("written again")
          .isTrue();
    }
  }

  @Test
  void aWorkerRegisteredWithTheJoinTokenMustSendItsCredentialFromTheStart() {
    try (CoordinatorFixture api = coordinator(Map.of("RMA_JOIN_TOKEN", "let-me-in"))) {
      JsonNode w = register(api, "let-me-in");
      assertThat(beat(api, w, null)).isEqualTo(401);
      assertThat(beat(api, w, token(w))).isEqualTo(200);
    }
  }

  @Test
  void takingOverAnIdNeedsThatWorkersCredentialEvenIfItNeverUsedIt() {
    try (CoordinatorFixture api = coordinator(Map.of())) {
      JsonNode w = register(api, null);
      String takeover =
          WORKER.replaceFirst("\\{", "{\"worker_id\": \"" + w.get("worker_id").asText() + "\",");
      assertThat(api.post("/api/worker/register", takeover, null).status()).isEqualTo(401);
      Answer again = api.post("/api/worker/register", takeover, token(w));
      assertThat(again.status()).as(again.body()).isEqualTo(200);
      // It re-registered with its credential: it uses credentials, so now it must send them.
      assertThat(beat(api, again.json(), null)).isEqualTo(401);
      assertThat(beat(api, again.json(), token(again.json()))).isEqualTo(200);
    }
  }

  @Test
  void tokenModeRefusesTheOriginalAgentsCallsAndNoneModeChecksNothing() {
    try (CoordinatorFixture strict = coordinator(Map.of("RMA_WORKER_AUTH", "token"))) {
      JsonNode w = register(strict, null);
      assertThat(beat(strict, w, null)).isEqualTo(401);
      assertThat(beat(strict, w, token(w))).isEqualTo(200);
    }
    try (CoordinatorFixture open = coordinator(Map.of("RMA_WORKER_AUTH", "none"))) {
      JsonNode w = register(open, null);
      JsonNode other = register(open, null);
      assertThat(beat(open, w, token(w))).isEqualTo(200);
      assertThat(beat(open, w, null)).isEqualTo(200);
      assertThat(beat(open, w, token(other))).isEqualTo(200);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"auto", "token", "none"})
  void anUnknownWorkersBeatIsTold404ToRegisterAgain(String mode) {
    try (CoordinatorFixture api = coordinator(Map.of("RMA_WORKER_AUTH", mode))) {
      for (String token : new String[] {null, "rmaw_whatever"}) {
        Answer a = api.post("/api/worker/heartbeat", "{\"worker_id\": \"worker-gone\"}", token);
        assertThat(a.status()).isEqualTo(404);
        assertThat(a.json().get("action").asText()).isEqualTo("register");
        assertThat(a.json().get("detail").asText()).contains("register again");
      }
    }
  }
}
