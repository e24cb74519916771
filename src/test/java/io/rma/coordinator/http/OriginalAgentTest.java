package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.runtime.Server;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The original project's worker agent, unmodified, against the default configuration: it names no
 * address and sends no credentials, and still gets inference traffic, beats, reports task results
 * and unregisters.
 */
class OriginalAgentTest {
  @TempDir Path dir;

  private StubWorker stub;
  private Coordinator coordinator;
  private Server server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop();
      coordinator.close();
    }
    if (stub != null) {
      stub.close();
    }
  }

  /** A copy of the built-in catalogue with one service's port replaced. */
  static Path catalogueWithPort(Path dir, String service, int port) throws IOException {
    String yaml;
    try (InputStream in = ConfigLoader.class.getResourceAsStream("/service-catalogue.yaml")) {
      yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String replaced =
        yaml.replaceFirst(
            "(?s)(- name: " + service + "\\n(?:    [^\\n]*\\n)*?    port: )\\d+", "$1" + port);
    assertThat(replaced).as("catalogue has a port for " + service).isNotEqualTo(yaml);
    Path file = dir.resolve("catalogue.yaml");
    Files.writeString(file, replaced);
    return file;
  }

  private OriginalAgent start(Map<String, String> extra) throws IOException {
    stub = new StubWorker("gpu-box");
    Map<String, String> env = new HashMap<>();
    env.put("RMA_SERVICE_CATALOGUE", catalogueWithPort(dir, "vllm", stub.port()).toString());
    env.putAll(extra);
    coordinator = Coordinator.standalone(ConfigLoader.load(env), Clock.systemUTC());
    server = coordinator.start(0);
    return new OriginalAgent("http://127.0.0.1:" + server.port());
  }

  @Test
  void anAgentThatNamesNoAddressIsReachedAtTheAddressItRegisteredFrom() throws IOException {
    OriginalAgent agent = start(Map.of());

    OriginalAgent.Answer registered = agent.register(OriginalAgent.CAPABILITIES);
    assertThat(registered.status()).as(registered.body()).isEqualTo(200);
    JsonNode reg = registered.json();
    String id = reg.get("worker_id").asText();
    assertThat(reg.get("tier").asInt()).isEqualTo(1);
    assertThat(reg.get("assigned_containers").get(0).get("name").asText()).isEqualTo("vllm");
    assertThat(reg.get("assigned_containers").get(0).get("port").asInt()).isEqualTo(stub.port());
    assertThat(reg.get("heartbeat_interval").asInt()).isEqualTo(30);
    assertThat(reg.get("endpoint").asText()).isEqualTo("http://127.0.0.1:" + stub.port());
    assertThat(coordinator.store().get(id).orElseThrow().getSpec().getIpAddress())
        .isEqualTo("127.0.0.1");

    OriginalAgent.Answer beat = agent.heartbeat(id, 0.1);
    assertThat(beat.status()).as(beat.body()).isEqualTo(200);
    assertThat(beat.json().get("status").asText()).isEqualTo("ok");
    assertThat(beat.json().get("message").asText()).isNotBlank();

    // A client's inference request reaches the container the agent started on the catalogue port.
    OriginalAgent.Answer answer =
        agent.send(
            "POST",
            "/api/inference/llm",
            "{\"model\": \"llama3\", \"prompt\": \"Say hello\", \"max_tokens\": 8}");
    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    assertThat(answer.json().get("choices").get(0).get("text").asText())
        .isEqualTo("hello from gpu-box");
    assertThat(stub.received).extracting(StubWorker.Received::path).contains("/v1/completions");

    // SIGTERM: the agent unregisters, without credentials; a stray beat is told to register.
    OriginalAgent.Answer gone = agent.unregister(id);
    assertThat(gone.status()).as(gone.body()).isEqualTo(200);
    OriginalAgent.Answer stray = agent.heartbeat(id, 0.1);
    assertThat(stray.status()).isEqualTo(404);
    assertThat(stray.json().get("action").asText()).isEqualTo("register");
    assertThat(stray.json().get("detail").asText()).contains("register again");
  }

  @Test
  void theOriginalTaskCompleteFormCarriesTheResultAsTheBody() throws IOException {
    OriginalAgent agent = start(Map.of());
    OriginalAgent.Answer registered =
        agent.register(
            "{\"capabilities\": {\"cpu_cores\": 4, \"ram\": \"16GB\"}, \"mode\": \"pull\","
                + " \"services\": [\"rag\"]}");
    assertThat(registered.status()).as(registered.body()).isEqualTo(200);
    String id = registered.json().get("worker_id").asText();

    OriginalAgent client = new OriginalAgent("http://127.0.0.1:" + server.port());
    String taskId =
        client
            .send(
                "POST",
                "/api/inference/tasks",
                "{\"service\": \"rag\", \"request\": {\"query\": \"q\"}}",
                Map.of("Prefer", "respond-async"))
            .json()
            .get("task_id")
            .asText();
    OriginalAgent.Answer polled = agent.send("GET", "/api/worker/tasks?worker_id=" + id, null);
    assertThat(polled.status()).as(polled.body()).isEqualTo(200);
    assertThat(polled.json().get("tasks").get(0).get("task_id").asText()).isEqualTo(taskId);

    OriginalAgent.Answer done =
        agent.taskComplete(id, taskId, "{\"answer\": \"42\", \"sources\": [\"doc-1\"]}");
    assertThat(done.status()).as(done.body()).isEqualTo(200);
    JsonNode status = client.send("GET", "/api/inference/tasks/" + taskId, null).json();
    assertThat(status.get("status").asText()).isEqualTo("completed");
    assertThat(status.get("result").get("answer").asText()).isEqualTo("42");
    assertThat(status.get("result").get("sources").get(0).asText()).isEqualTo("doc-1");

    // The query form needs both ids.
    OriginalAgent.Answer noTask =
        agent.send("POST", "/api/worker/task-complete?worker_id=" + id, "{}");
    assertThat(noTask.status()).isEqualTo(422);
    assertThat(noTask.json().get("detail").asText()).contains("task_id");
  }
}
