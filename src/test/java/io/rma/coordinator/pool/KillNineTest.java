package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rma.coordinator.testing.CoordinatorProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real coordinator process, killed with SIGKILL: what it acknowledged is in the database file
 * when it starts again. Without DATABASE_PATH it writes nothing to disk.
 */
class KillNineTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dir;

  private CoordinatorProcess start(Map<String, String> env) throws Exception {
    return CoordinatorProcess.start(dir, env);
  }

  private JsonNode call(CoordinatorProcess r, String method, String path, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://localhost:" + r.port() + path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json");
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> res = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    return JSON.readTree(res.body());
  }

  @Test
  void registeredWorkersSurviveAKillNine() throws Exception {
    Map<String, String> env = Map.of("DATABASE_PATH", dir.resolve("data/rma.db").toString());
    CoordinatorProcess first = start(env);
    Map<String, Integer> tiers = new HashMap<>();
    Map<String, String> services = new HashMap<>();
    List<String> bodies =
        List.of(
            "{\"capabilities\": {\"cpu_cores\": 8, \"ram\": \"31.2GB\", \"gpu_type\": \"RTX 4090\", \"gpu_memory\": \"24564MB\"}}",
            "{\"capabilities\": {\"cpu_cores\": 4, \"ram\": \"16GB\"}}",
            "{\"capabilities\": {\"cpu_cores\": 1, \"ram\": \"1GB\"}}");
    try {
      for (String body : bodies) {
        JsonNode reg = call(first, "POST", "/api/worker/register", body);
        tiers.put(reg.get("worker_id").asText(), reg.get("tier").asInt());
        services.put(
            reg.get("worker_id").asText(),
            reg.get("assigned_containers").get(0).get("name").asText());
      }
    } finally {
      first.kill9();
    }

    CoordinatorProcess second = start(env);
    try {
      JsonNode workers = call(second, "GET", "/api/admin/workers", null).get("workers");
      assertThat(workers).hasSize(3);
      for (JsonNode w : workers) {
        String id = w.get("worker_id").asText();
        assertThat(w.get("tier").asInt()).isEqualTo(tiers.get(id));
        assertThat(w.get("assigned_services").get(0).asText()).isEqualTo(services.get(id));
      }
      assertThat(tiers.values()).containsExactlyInAnyOrder(1, 2, 3);
    } finally {
      second.kill9();
    }
  }

  @Test
  void withoutDatabasePathNothingIsWrittenToDisk() throws Exception {
    CoordinatorProcess r = start(Map.of());
    try {
      call(
          r,
          "POST",
          "/api/worker/register",
          "{\"capabilities\": {\"cpu_cores\": 4, \"ram\": \"16GB\"}}");
    } finally {
      r.kill9();
    }
    List<Path> written = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      files.filter(Files::isRegularFile).forEach(written::add);
    }
    assertThat(written).isEmpty();
  }
}
