package io.rma.coordinator.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rma.coordinator.testing.Api;
import io.rma.coordinator.testing.CoordinatorProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code RMA_LOG_FORMAT}: the real Main in a child JVM, its output read line by line. */
class LogFormatTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void jsonFormatWritesOneJsonObjectPerLineWithEcsFields(@TempDir Path dir) throws Exception {
    try (CoordinatorProcess p = CoordinatorProcess.start(dir, Map.of("RMA_LOG_FORMAT", "json"))) {
      String id =
          new Api(p.port())
              .register("{\"capabilities\": {\"cpu_cores\": 4, \"ram\": \"8GB\"}}")
              .get("worker_id")
              .asText();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> p.output().stream().anyMatch(l -> l.contains("registered worker " + id)));
      List<JsonNode> records = new ArrayList<>();
      for (String line : p.output()) {
        records.add(parse(line));
      }
      JsonNode start =
          records.stream()
              .filter(r -> r.path("message").asText().contains("listening on port " + p.port()))
              .findFirst()
              .orElseThrow();
      assertThat(start.get("message").asText())
          .contains("dashboard at http://localhost:" + p.port() + "/dashboard");
      assertThat(start.get("log.level").asText()).isEqualTo("INFO");
      assertThat(start.get("log.logger").asText()).isEqualTo(Main.class.getName());
      assertThat(start.get("@timestamp").asText()).isNotBlank();
      assertThat(start.get("service.name").asText()).isEqualTo("rma-coordinator");
      assertThat(records)
          .anySatisfy(r -> assertThat(r.get("log.level").asText()).isEqualTo("WARN"));
    }
  }

  @Test
  void textFormatStaysTheDefault(@TempDir Path dir) throws Exception {
    try (CoordinatorProcess p = CoordinatorProcess.start(dir, Map.of())) {
      String start =
          p.output().stream()
              .filter(l -> l.contains("listening on port"))
              .findFirst()
              .orElseThrow();
      assertThat(start).doesNotStartWith("{").contains(" INFO ").contains("/dashboard");
    }
  }

  private static JsonNode parse(String line) {
    try {
      JsonNode n = JSON.readTree(line);
      assertThat(n.isObject()).as(line).isTrue();
      return n;
    } catch (IOException e) {
      throw new AssertionError("not a JSON object: " + line, e);
    }
  }
}
