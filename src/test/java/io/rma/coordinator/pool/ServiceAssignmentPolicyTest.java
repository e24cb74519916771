package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.pool.ServiceCatalogue.ServiceDefinition;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceAssignmentPolicyTest {
  private final ServiceAssignmentPolicy policy =
      new ServiceAssignmentPolicy(ConfigLoader.load(Map.of()).catalogue());

  private String assign(int tier, Map<String, Integer> coverage) {
    return policy.assign(tier, coverage).map(ServiceDefinition::name).orElse(null);
  }

  @Test
  void tierOneGetsTheLessCoveredGpuService() {
    assertThat(assign(1, Map.of())).isEqualTo("vllm");
    assertThat(assign(1, Map.of("vllm", 1))).isEqualTo("vision");
    assertThat(assign(1, Map.of("vllm", 2, "vision", 1))).isEqualTo("vision");
    assertThat(assign(1, Map.of("vllm", 1, "vision", 1))).isEqualTo("vllm");
  }

  @Test
  void tierTwoFillsTheCpuServicesInCatalogueOrder() {
    assertThat(assign(2, Map.of())).isEqualTo("upload");
    assertThat(assign(2, Map.of("upload", 1))).isEqualTo("rag");
    assertThat(assign(2, Map.of("upload", 1, "rag", 1, "notes", 1, "ner", 1, "client-rag", 1)))
        .isEqualTo("doc-processor");
    assertThat(
            assign(
                2,
                Map.of(
                    "upload",
                    2,
                    "rag",
                    1,
                    "notes",
                    2,
                    "ner",
                    2,
                    "client-rag",
                    2,
                    "doc-processor",
                    2)))
        .isEqualTo("rag");
  }

  @Test
  void tierThreeFillsTheDataStores() {
    assertThat(assign(3, Map.of())).isEqualTo("postgres");
    assertThat(assign(3, Map.of("postgres", 1))).isEqualTo("neo4j");
    assertThat(assign(3, Map.of("postgres", 1, "neo4j", 1))).isEqualTo("redis");
  }

  @Test
  void servicesOfOtherTiersDoNotCount() {
    assertThat(assign(3, Map.of("vllm", 5, "rag", 3))).isEqualTo("postgres");
  }

  @Test
  void aTierWithoutServicesGetsNone() {
    assertThat(assign(4, Map.of())).isNull();
  }
}
