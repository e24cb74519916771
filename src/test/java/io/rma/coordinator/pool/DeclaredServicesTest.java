package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.api.v1alpha1.Capabilities;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A worker that declares services runs exactly those; gap filling is for the ones that do not. */
class DeclaredServicesTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private final CoordinatorConfig config = ConfigLoader.load(Map.of());
  private final WorkerStatusPolicy policy =
      new WorkerStatusPolicy(
          new TierPolicy(config.tiers()), new ServiceAssignmentPolicy(config.catalogue()));

  private static RMAWorkerSpec gpu(String... services) {
    Capabilities c = new Capabilities();
    c.setCpuCores(8);
    c.setRam("32GB");
    c.setGpuMemory("24GB");
    RMAWorkerSpec spec = new RMAWorkerSpec();
    spec.setCapabilities(c);
    spec.setServices(new ArrayList<>(List.of(services)));
    return spec;
  }

  private RMAWorkerStatus desired(long generation, RMAWorkerSpec spec, RMAWorkerStatus current) {
    // vllm is covered, so gap filling would pick vision.
    return policy.desired(
        generation, spec, current, WorkerPhase.Healthy, null, () -> Map.of("vllm", 1), NOW);
  }

  @Test
  void aWorkerDeclaringVllmGetsVllmOnlyEvenWhereGapFillingWouldPickVision() {
    assertThat(desired(1, gpu("vllm"), null).getAssignedServices()).containsExactly("vllm");
    assertThat(desired(1, gpu(), null).getAssignedServices()).containsExactly("vision");
  }

  @Test
  void aWorkerDeclaringSeveralServicesGetsAllOfThemInItsOrder() {
    assertThat(desired(1, gpu("vision", "vllm", "rag"), null).getAssignedServices())
        .containsExactly("vision", "vllm", "rag");
  }

  @Test
  void aStoredWorkerGivenAGapBesideWhatItDeclaredIsCorrected() {
    RMAWorkerStatus old = desired(1, gpu(), null);
    old.setAssignedServices(new ArrayList<>(List.of("vision")));
    assertThat(desired(1, gpu("vllm"), old).getAssignedServices()).containsExactly("vllm");
  }

  @Test
  void namesTheCatalogueDoesNotHaveAreIgnoredAndDropsFillTheGap() {
    assertThat(desired(1, gpu("whisper", "vllm"), null).getAssignedServices())
        .containsExactly("vllm");
    RMAWorkerStatus declared = desired(1, gpu("vllm"), null);
    // It stops declaring: a new spec generation, and gap filling applies again.
    assertThat(desired(2, gpu(), declared).getAssignedServices()).containsExactly("vision");
  }
}
