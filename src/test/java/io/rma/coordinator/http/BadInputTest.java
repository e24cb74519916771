package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.CoordinatorFixture.Answer;
import io.rma.coordinator.testing.MutableClock;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad input is a 4xx with a JSON detail: never a 500, never a hang. */
class BadInputTest {
  private static CoordinatorFixture api;
  private static String workerId;

  @BeforeAll
  static void start() {
    api =
        new CoordinatorFixture(
            Map.of("RMA_WORKER_AUTH", "none"), MutableClock.at("2026-01-01T00:00:00Z"));
    workerId =
        api.post("/api/worker/register", "{\"capabilities\": {\"cpu_cores\": 2, \"ram\": \"8GB\"}}")
            .json()
            .get("worker_id")
            .asText();
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  @ParameterizedTest(name = "register {0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{bad json                                                          | 400",
        "{\"capabilities\": {\"cpu_cores\": 8, \"ram\": \"8GB\"}} trailing  | 400",
        "[1, 2]                                                             | 422",
        "\"text\"                                                           | 422",
        "{}                                                                 | 422",
        "{\"capabilities\": 5}                                              | 422",
        "{\"capabilities\": {\"ram\": \"8GB\"}}                             | 422",
        "{\"capabilities\": {\"cpu_cores\": 8}}                             | 422",
        "{\"capabilities\": {\"cpu_cores\": \"eight\", \"ram\": \"8GB\"}}   | 422",
        "{\"capabilities\": {\"cpu_cores\": -2, \"ram\": \"8GB\"}}          | 422",
        "{\"capabilities\": {\"cpu_cores\": 2.5, \"ram\": \"8GB\"}}         | 422",
        "{\"capabilities\": {\"cpu_cores\": 2, \"ram\": [1]}}               | 422",
        "{\"capabilities\": {\"cpu_cores\": 2, \"ram\": -1}}                | 422",
        "{\"capabilities\": {\"cpu_cores\": 2, \"ram\": \"8GB\"}, \"port\": 70000}      | 422",
        "{\"capabilities\": {\"cpu_cores\": 2, \"ram\": \"8GB\"}, \"mode\": \"carrier pigeon\"} | 422",
        "{\"capabilities\": {\"cpu_cores\": 2, \"ram\": \"8GB\"}, \"services\": \"rag\"}  | 422",
        "{\"capabilities\": {\"cpu_cores\": 2, \"ram\": \"8GB\"}, \"worker_id\": \"Bad_Name\"} | 400",
        "{\"capabilities\": {\"cpu_cores\": 2, \"ram\": \"8GB\"}, \"worker_id\": 7}     | 422",
      })
  void badRegistrations(String body, int expected) {
    Answer a = api.post("/api/worker/register", body);
    assertThat(a.status()).as(a.body()).isEqualTo(expected);
    assertThat(a.json().get("detail").asText()).isNotBlank();
  }

  @ParameterizedTest(name = "heartbeat {0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"worker_id\": \"ID\", \"current_load\": -0.1}       | 422",
        "{\"worker_id\": \"ID\", \"current_load\": 1.5}        | 422",
        "{\"worker_id\": \"ID\", \"current_load\": \"NaN\"}    | 422",
        "{\"worker_id\": \"ID\", \"current_load\": NaN}        | 400",
        "{\"worker_id\": \"ID\", \"status\": \"sleepy\"}       | 422",
        "{\"worker_id\": \"ID\", \"status\": 1}                | 422",
        "{\"worker_id\": \"ID\", \"available_memory\": [1]}    | 422",
        "{\"current_load\": 0.5}                               | 422",
        "{\"worker_id\": 12}                                   | 422",
        "{\"worker_id\": \"../../etc\"}                        | 400",
        "{\"worker_id\": \"worker-doesnotexist\"}              | 404",
        "not json                                              | 400",
      })
  void badHeartbeats(String body, int expected) {
    Answer a = api.post("/api/worker/heartbeat", body.replace("ID", workerId));
    assertThat(a.status()).as(a.body()).isEqualTo(expected);
    assertThat(a.json().get("detail").asText()).isNotBlank();
  }

  @Test
  void aGoodHeartbeatStillWorks() {
    Answer a =
        api.post(
            "/api/worker/heartbeat",
            "{\"worker_id\": \"" + workerId + "\", \"status\": \"degraded\", \"current_load\": 1}");
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    assertThat(a.json().get("phase").asText()).isEqualTo("Degraded");
  }

  @ParameterizedTest
  @CsvSource({
    "/api/worker/unregister/Not_A_Name, 400",
    "/api/worker/unregister/worker-nobody, 404"
  })
  void badUnregistrations(String path, int expected) {
    Answer a = api.delete(path, null);
    assertThat(a.status()).as(a.body()).isEqualTo(expected);
    assertThat(a.json().get("detail").asText()).isNotBlank();
  }

  @Test
  void unknownRoutesAndMethodsAreJson() {
    Answer a = api.get("/api/nothing-here");
    assertThat(a.status()).isEqualTo(404);
    assertThat(a.json().get("detail").asText()).contains("/api/nothing-here");
    Answer b = api.get("/api/worker/register");
    assertThat(b.status()).isIn(404, 405);
    assertThat(b.json().get("detail").asText()).isNotBlank();
  }

  @Test
  void aDeclaredOversizedBodyIs413() {
    Answer a =
        api.post(
            "/api/worker/register",
            "{\"capabilities\": {\"cpu_cores\": 8, \"ram\": \"" + "x".repeat(1_100_000) + "\"}}");
    assertThat(a.status()).isEqualTo(413);
    assertThat(a.json().get("detail").asText()).contains("larger than");
  }
}
