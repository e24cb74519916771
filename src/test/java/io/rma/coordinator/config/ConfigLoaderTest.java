package io.rma.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rma.coordinator.security.WorkerAuthMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  @Test
  void defaultsAreThoseOfTheDesign() {
    CoordinatorConfig c = ConfigLoader.load(Map.of());
    assertThat(c.port()).isEqualTo(8080);
    assertThat(c.databasePath()).isEmpty();
    assertThat(c.mode()).isEmpty();
    assertThat(c.health().heartbeatInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.health().offlineAfter()).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.health().pruneAfter()).isEqualTo(Duration.ofMinutes(30));
    assertThat(c.routing().loadCeiling()).isEqualTo(0.8);
    assertThat(c.security().workerAuth()).isEqualTo(WorkerAuthMode.auto);
    assertThat(c.security().workerAuthEnforced()).isTrue();
    assertThat(c.security().trustedProxies().isEmpty()).isTrue();
    assertThat(c.security().corsOrigins()).containsExactly("*");
    assertThat(c.security().maxWorkers()).isEqualTo(10_000);
    assertThat(c.security().allowLoopbackWorkers()).isTrue();
    assertThat(c.catalogue().all())
        .extracting("name")
        .containsExactly(
            "vllm",
            "vision",
            "upload",
            "rag",
            "notes",
            "ner",
            "client-rag",
            "doc-processor",
            "postgres",
            "neo4j",
            "redis");
    assertThat(c.catalogue().find("vllm").orElseThrow().path()).isEqualTo("/v1/completions");
  }

  @Test
  void offlineAfterFollowsTheHeartbeatIntervalUnlessSet() {
    assertThat(ConfigLoader.load(Map.of("RMA_HEARTBEAT_INTERVAL", "10s")).health().offlineAfter())
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(
            ConfigLoader.load(Map.of("RMA_HEARTBEAT_INTERVAL", "10s", "RMA_OFFLINE_AFTER", "PT45S"))
                .health()
                .offlineAfter())
        .isEqualTo(Duration.ofSeconds(45));
  }

  @Test
  void environmentWinsOverTheFileWhichWinsOverDefaults() throws Exception {
    Path file = dir.resolve("rma.yaml");
    Files.writeString(file, "prune-after: 10m\nload-ceiling: 0.5\nport: 9000\n");
    CoordinatorConfig c =
        ConfigLoader.load(Map.of("RMA_CONFIG_FILE", file.toString(), "RMA_LOAD_CEILING", "0.7"));
    assertThat(c.health().pruneAfter()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.routing().loadCeiling()).isEqualTo(0.7);
    assertThat(c.port()).isEqualTo(9000);
  }

  @Test
  void theCatalogueIsConfiguration() throws Exception {
    Path file = dir.resolve("catalogue.yaml");
    Files.writeString(
        file,
        "services:\n  - {name: vllm, tier: 1, image: my/vllm, port: 9000, path: /v1/completions}\n");
    CoordinatorConfig c = ConfigLoader.load(Map.of("RMA_SERVICE_CATALOGUE", file.toString()));
    assertThat(c.catalogue().all()).hasSize(1);
    assertThat(c.catalogue().find("vllm").orElseThrow().image()).isEqualTo("my/vllm");
  }

  @Test
  void badValuesNameTheSetting() {
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("RMA_OFFLINE_AFTER", "soon")))
        .hasMessageContaining("RMA_OFFLINE_AFTER");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("RMA_LOAD_CEILING", "2")))
        .hasMessageContaining("RMA_LOAD_CEILING");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("RMA_WORKER_AUTH", "maybe")))
        .hasMessageContaining("RMA_WORKER_AUTH");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("PORT", "http")))
        .hasMessageContaining("PORT");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    Map.of(
                        "RMA_INFLIGHT_BODY_BYTES", "1000", "RMA_MAX_INFERENCE_BODY_BYTES", "2000")))
        .hasMessageContaining("RMA_INFLIGHT_BODY_BYTES");
  }

  @Test
  void theInflightBodyLimitDefaultsToAQuarterOfTheHeapAndAtLeastOneBody() {
    assertThat(ConfigLoader.load(Map.of()).routing().inflightBodyLimit())
        .isEqualTo(Math.max(16L << 20, Runtime.getRuntime().maxMemory() / 4));
    assertThat(
            ConfigLoader.load(Map.of("RMA_INFLIGHT_BODY_BYTES", "67108864"))
                .routing()
                .inflightBodyLimit())
        .isEqualTo(64L << 20);
  }

  @Test
  void leaderElectionIsOnByDefaultOnTheLeaseRmaCoordinator() {
    CoordinatorConfig c = ConfigLoader.load(Map.of());
    assertThat(c.leaderElection()).isTrue();
    assertThat(c.leaseName()).isEqualTo("rma-coordinator");

    CoordinatorConfig off =
        ConfigLoader.load(Map.of("RMA_LEADER_ELECTION", "false", "RMA_LEASE_NAME", "prod-rma"));
    assertThat(off.leaderElection()).isFalse();
    assertThat(off.leaseName()).isEqualTo("prod-rma");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("RMA_LEADER_ELECTION", "sometimes")))
        .hasMessageContaining("RMA_LEADER_ELECTION");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("RMA_LEASE_NAME", "My_Lease")))
        .hasMessageContaining("RMA_LEASE_NAME");
  }

  @Test
  void corsOriginsAreAnyByDefaultAListWhenGivenAndOffWhenEmpty() throws Exception {
    assertThat(
            ConfigLoader.load(
                    Map.of("RMA_CORS_ORIGINS", " https://Dash.example.com/ ,http://localhost:3000"))
                .security()
                .corsOrigins())
        .containsExactly("https://dash.example.com", "http://localhost:3000");
    assertThat(ConfigLoader.load(Map.of("RMA_CORS_ORIGINS", "")).security().corsOrigins())
        .isEmpty();
    assertThat(ConfigLoader.load(Map.of("RMA_CORS_ORIGINS", "none")).security().corsOrigins())
        .isEmpty();
    Path file = dir.resolve("rma.yaml");
    Files.writeString(file, "cors-origins: [\"https://a.example\", \"http://[::1]:8080\"]\n");
    assertThat(
            ConfigLoader.load(Map.of("RMA_CONFIG_FILE", file.toString())).security().corsOrigins())
        .containsExactly("https://a.example", "http://[::1]:8080");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("RMA_CORS_ORIGINS", "dash.example.com")))
        .hasMessageContaining("RMA_CORS_ORIGINS");
    assertThatThrownBy(
            () -> ConfigLoader.load(Map.of("RMA_CORS_ORIGINS", "https://a.example/path")))
        .hasMessageContaining("RMA_CORS_ORIGINS");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("RMA_CORS_ORIGINS", "*, https://a.example")))
        .hasMessageContaining("'*'");
  }

  @Test
  void trustedProxiesAreAddressesOrRanges() throws Exception {
    var ranges =
        ConfigLoader.load(Map.of("RMA_TRUSTED_PROXIES", "10.0.0.0/8, ::1"))
            .security()
            .trustedProxies();
    assertThat(ranges.contains(java.net.InetAddress.getByName("10.3.2.1"))).isTrue();
    assertThat(ranges.contains(java.net.InetAddress.getByName("::1"))).isTrue();
    assertThat(ranges.contains(java.net.InetAddress.getByName("127.0.0.1"))).isFalse();
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("RMA_TRUSTED_PROXIES", "ingress.local")))
        .hasMessageContaining("RMA_TRUSTED_PROXIES")
        .hasMessageContaining("ingress.local");
  }
}
