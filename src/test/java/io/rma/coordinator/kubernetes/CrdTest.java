package io.rma.coordinator.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
  void kubectlGetShowsTierPhaseLoadServicesLastHeartbeatAndAge() throws IOException {
    assertThat(version().getAdditionalPrinterColumns())
        .extracting(CustomResourceColumnDefinition::getName)
        .containsExactlyInAnyOrder("Tier", "Phase", "Load", "Services", "Last Heartbeat", "Age");
    assertThat(version().getAdditionalPrinterColumns())
        .filteredOn(c -> c.getName().equals("Last Heartbeat"))
        .extracting(CustomResourceColumnDefinition::getType)
        .containsExactly("date");
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
