package io.rma.coordinator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfile and the container hosts' files (fly.toml, railway.toml, render.yaml) agree with
 * each other, with the chart, and with the coordinator. The image itself is built and run by
 * scripts/container-smoke.sh, which needs podman and minutes, so it is not part of this suite.
 */
class ContainerHostConfigTest {
  private static final ObjectMapper TOML = new TomlMapper();

  @Test
  void dockerfileRunsTheJarOnAJre21AsANumericNonRootUserWithTheDatabaseOnTheVolume()
      throws IOException {
    List<String> lines = dockerfile();
    assertThat(lines.stream().filter(l -> l.startsWith("FROM ")))
        .containsExactly("FROM debian:trixie-slim AS build", "FROM debian:trixie-slim");
    int runStage = lines.indexOf("FROM debian:trixie-slim");
    assertThat(String.join("\n", lines.subList(0, runStage)))
        .contains("openjdk-21-jdk-headless", "./mvnw -B -q -DskipTests package");
    List<String> run = lines.subList(runStage, lines.size());
    assertThat(String.join("\n", run)).contains("openjdk-21-jre-headless");

    String user = instruction(run, "USER");
    assertThat(user).matches("[1-9][0-9]*:[0-9]+");
    String uid = user.substring(0, user.indexOf(':'));
    assertThat(Files.readString(Path.of("src/main/docker/entrypoint.sh")))
        .contains("APP_UID=" + uid);

    assertThat(instruction(run, "VOLUME")).isEqualTo("[\"/data\"]");
    Map<String, String> env = dockerEnv(run);
    assertThat(env.get("DATABASE_PATH")).startsWith("/data/");
    assertThat(instruction(run, "EXPOSE")).isEqualTo(env.get("PORT"));
    assertThat(instruction(run, "ENTRYPOINT")).isEqualTo("[\"/app/entrypoint.sh\"]");
    // One set of JVM flags for the image and the chart.
    JsonNode values = Manifests.YAML.readTree(Manifests.CHART.resolve("values.yaml").toFile());
    assertThat(env.get("JDK_JAVA_OPTIONS")).isEqualTo(values.path("jvmOptions").asText());
    assertThat(values.path("podSecurityContext").path("runAsUser").asText()).isEqualTo(uid);
  }

  @Test
  void flyMountsItsVolumeWhereTheDatabaseIsAndChecksReadiness() throws IOException {
    JsonNode fly = TOML.readTree(Path.of("fly.toml").toFile());
    String databasePath = fly.path("env").path("DATABASE_PATH").asText();
    String mount = fly.path("mounts").get(0).path("destination").asText();
    assertThat(databasePath).startsWith(mount + "/");
    assertThat(fly.path("env").path("PORT").asInt())
        .isEqualTo(fly.path("http_service").path("internal_port").asInt());
    assertThat(fly.path("env").path("RMA_MODE").asText()).isEqualTo("standalone");
    assertThat(fly.path("vm").get(0).path("memory").asText()).isEqualTo("256mb");
    assertThat(fly.path("http_service").path("min_machines_running").asInt()).isEqualTo(1);
  }

  @Test
  void railwayAndRenderBuildTheDockerfileAndCheckReadiness() throws IOException {
    JsonNode railway = TOML.readTree(Path.of("railway.toml").toFile());
    assertThat(railway.path("build").path("builder").asText()).isEqualTo("DOCKERFILE");
    assertThat(railway.path("deploy").path("numReplicas").asInt()).isEqualTo(1);
    JsonNode render =
        Manifests.YAML.readTree(Path.of("render.yaml").toFile()).path("services").get(0);
    assertThat(render.path("runtime").asText()).isEqualTo("docker");
    assertThat(render.path("plan").asText()).isEqualTo("free");
    assertThat(render.path("envVars").findValuesAsText("key"))
        .contains("RMA_MODE", "RMA_JOIN_TOKEN", "RMA_ADMIN_TOKEN");
  }

  @Test
  void everyHealthPathADeploymentChecksAnswersOnARealCoordinator() throws IOException {
    Set<String> paths = new TreeSet<>();
    JsonNode fly = TOML.readTree(Path.of("fly.toml").toFile());
    fly.path("http_service").path("checks").forEach(c -> paths.add(c.path("path").asText()));
    paths.add(
        TOML.readTree(Path.of("railway.toml").toFile())
            .path("deploy")
            .path("healthcheckPath")
            .asText());
    paths.add(
        Manifests.YAML
            .readTree(Path.of("render.yaml").toFile())
            .path("services")
            .get(0)
            .path("healthCheckPath")
            .asText());
    paths.add("/health"); // scripts/container-smoke.sh
    assertThat(paths).doesNotContain("").contains("/observe/health/ready");

    RealCoordinator.assertPathsAnswer200(paths);
  }

  /** The Dockerfile's instructions, continuation lines joined, comments dropped. */
  private static List<String> dockerfile() throws IOException {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(Path.of("Dockerfile"))) {
      String t = line.strip();
      if (t.startsWith("#") || (t.isEmpty() && current.isEmpty())) {
        continue;
      }
      if (t.endsWith("\\")) {
        current.append(t, 0, t.length() - 1).append(' ');
        continue;
      }
      current.append(t);
      out.add(current.toString().replaceAll("\\s+", " ").strip());
      current.setLength(0);
    }
    return out;
  }

  private static String instruction(List<String> lines, String name) {
    List<String> found =
        lines.stream()
            .filter(l -> l.startsWith(name + " "))
            .map(l -> l.substring(name.length() + 1))
            .toList();
    assertThat(found).as(name).hasSize(1);
    return found.get(0);
  }

  private static Map<String, String> dockerEnv(List<String> lines) {
    Map<String, String> env = new LinkedHashMap<>();
    Pattern pair = Pattern.compile("([A-Z_]+)=(\"[^\"]*\"|\\S+)");
    for (String line : lines) {
      if (line.startsWith("ENV ")) {
        Matcher m = pair.matcher(line.substring(4));
        while (m.find()) {
          env.put(m.group(1), m.group(2).replaceAll("^\"|\"$", ""));
        }
      }
    }
    return env;
  }
}
