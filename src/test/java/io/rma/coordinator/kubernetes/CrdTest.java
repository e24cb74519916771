package io.rma.coordinator.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.rma.coordinator.api.v1alpha1.Capabilities;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerMode;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.pool.Heartbeats;
import io.rma.coordinator.pool.ServiceAssignmentPolicy;
import io.rma.coordinator.pool.TierPolicy;
import io.rma.coordinator.pool.WorkerStatusPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What kubectl users get from the checked-in CRD (the build keeps it equal to the generated one).
 */
class CrdTest {
  private static CustomResourceDefinitionVersion version() throws IOException {
    try (InputStream in = Files.newInputStream(Path.of("crds/rmaworkers.rma.io-v1.yml"))) {
      CustomResourceDefinition crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
      assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("rmaw");
      assertThat(crd.getSpec().getNames().getCategories()).containsExactly("rma");
      assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
      return crd.getSpec().getVersions().get(0);
    }
  }

  @Test
  void kubectlGetShowsItsColumnsInKubectlsOrderAndWideAddsEndpointModeAndModels()
      throws IOException {
    List<CustomResourceColumnDefinition> columns = version().getAdditionalPrinterColumns();
    // The build's post-processor puts them in this order (the generator sorts by JSON path).
    assertThat(columns)
        .extracting(CustomResourceColumnDefinition::getName)
        .containsExactlyElementsOf(RMAWorker.PRINTER_COLUMNS);
    assertThat(columns)
        .filteredOn(c -> c.getPriority() == 0)
        .extracting(CustomResourceColumnDefinition::getName)
        .containsExactly("Tier", "Phase", "Load", "Services", "Last-Heartbeat", "Age");
    assertThat(columns)
        .filteredOn(c -> c.getPriority() == 1)
        .extracting(CustomResourceColumnDefinition::getName)
        .containsExactly("Endpoint", "Mode", "Models");
    assertThat(columns)
        .filteredOn(c -> c.getType().equals("date"))
        .extracting(CustomResourceColumnDefinition::getName)
        .containsExactly("Last-Heartbeat", "Age");
  }

  /**
   * {@code kubectl get rmaw} and {@code kubectl get rmaw -o wide} as rendered from the CRD's
   * columns (KubectlTable does what the API server's table converter and kubectl's printer do)
   * against three workers whose status the coordinator's own policy wrote. docs/kubernetes.md
   * quotes this output.
   */
  @Test
  void theTablesKubectlPrints() throws IOException {
    Instant now = Instant.parse("2026-12-08T12:00:00Z");
    CoordinatorConfig config = ConfigLoader.load(Map.of());
    WorkerStatusPolicy policy =
        new WorkerStatusPolicy(
            new TierPolicy(config.tiers()), new ServiceAssignmentPolicy(config.catalogue()));
    Capabilities gpu = new Capabilities();
    gpu.setCpuCores(8);
    gpu.setRam("31.2GB");
    gpu.setGpuType("NVIDIA RTX 4090");
    gpu.setGpuMemory("24564MB");
    Capabilities cpu = new Capabilities();
    cpu.setCpuCores(4);
    cpu.setRam("16GB");
    RMAWorkerSpec a = new RMAWorkerSpec();
    a.setCapabilities(gpu);
    a.setIpAddress("10.0.0.5");
    a.setPort(8000);
    a.setModels(List.of("llama-3.1-8b"));
    RMAWorkerSpec b = new RMAWorkerSpec();
    b.setCapabilities(cpu);
    b.setIpAddress("10.0.0.6");
    RMAWorkerSpec c = new RMAWorkerSpec();
    c.setCapabilities(cpu);
    c.setMode(WorkerMode.pull);
    c.setDrain(true);
    List<RMAWorker> workers =
        List.of(
            sample(policy, "worker-1c4b71dd8cf9", a, WorkerPhase.Healthy, 0.25, 120, 3 * 3600, now),
            sample(policy, "worker-3e0d1a74be60", b, WorkerPhase.Offline, 0.1, 41 * 60, 10800, now),
            sample(
                policy, "worker-9a2f0c51d7e3", c, WorkerPhase.Draining, 0.0, 12, 26 * 3600, now));
    KubectlTable table = new KubectlTable(version().getAdditionalPrinterColumns());

    String plain = table.render(workers, false, now);
    String wide = table.render(workers, true, now);
    System.getLogger(CrdTest.class.getName())
        .log(
            System.Logger.Level.INFO,
            "\n$ kubectl get rmaw\n" + plain + "\n$ kubectl get rmaw -o wide\n" + wide);
    assertThat(plain)
        .isEqualTo(
            """
            NAME                  TIER   PHASE      LOAD   SERVICES     LAST-HEARTBEAT   AGE
            worker-1c4b71dd8cf9   1      Healthy    0.25   ["vllm"]     2m               3h
            worker-3e0d1a74be60   2      Offline    0.1    ["upload"]   41m              3h
            worker-9a2f0c51d7e3   2      Draining   0      ["rag"]      12s              26h
            """);
    assertThat(wide)
        .isEqualTo(
            """
            NAME                  TIER   PHASE      LOAD   SERVICES     LAST-HEARTBEAT   AGE   \
            ENDPOINT               MODE   MODELS
            worker-1c4b71dd8cf9   1      Healthy    0.25   ["vllm"]     2m               3h    \
            http://10.0.0.5:8000   push   ["llama-3.1-8b"]
            worker-3e0d1a74be60   2      Offline    0.1    ["upload"]   41m              3h    \
            http://10.0.0.6:8001   push   []
            worker-9a2f0c51d7e3   2      Draining   0      ["rag"]      12s              26h   \
            <none>                 pull   []
            """);
  }

  private static RMAWorker sample(
      WorkerStatusPolicy policy,
      String name,
      RMAWorkerSpec spec,
      WorkerPhase phase,
      double load,
      long beatSecondsAgo,
      long ageSeconds,
      Instant now) {
    RMAWorker w = new RMAWorker(name, spec);
    w.getMetadata().setCreationTimestamp(now.minusSeconds(ageSeconds).toString());
    Instant beat = now.minusSeconds(beatSecondsAgo);
    RMAWorkerStatus status =
        policy.desired(
            1,
            spec,
            null,
            phase,
            new Heartbeats.Beat(beat, false, load, null),
            // Gap filling, the pool as it fills: upload taken, rag next.
            () -> name.endsWith("d7e3") ? Map.of("upload", 1) : Map.of(),
            beat);
    status.setRegisteredAt(w.getMetadata().getCreationTimestamp());
    w.setStatus(status);
    return w;
  }

  @Test
  void statusIsASubresource() throws IOException {
    assertThat(version().getSubresources().getStatus()).isNotNull();
  }

  @Test
  void kubectlExplainDescribesEverySpecField() throws IOException {
    JSONSchemaProps spec = version().getSchema().getOpenAPIV3Schema().getProperties().get("spec");
    assertThat(spec.getDescription()).isNotBlank();
    spec.getProperties()
        .forEach((name, field) -> assertThat(field.getDescription()).as(name).isNotBlank());
    assertThat(spec.getProperties().get("drain").getDescription()).contains("kubectl patch");
  }
}
