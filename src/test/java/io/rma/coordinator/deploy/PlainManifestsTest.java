package io.rma.coordinator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@code k8s/} is the chart's default render as plain manifests, for {@code kubectl apply -k k8s/}.
 *
 * <p>{@code k8s/coordinator.yaml} is generated from the chart: after changing the chart, run {@code
 * ./mvnw test -Dtest=PlainManifestsTest -Drma.k8s.regenerate=true} to write it (and the CRD copy)
 * again. Without that flag this test fails when the two have drifted apart.
 */
class PlainManifestsTest {
  private static final Path COORDINATOR = Manifests.K8S.resolve("coordinator.yaml");
  private static final Path CRD = Manifests.K8S.resolve("rmaworkers.rma.io-v1.yml");
  private static final String HEADER =
      """
      # Generated from helm/rma-coordinator (helm template rma --namespace rma, default values,
      # without the Secret and Helm's own labels). Do not edit: change the chart, then run
      #   ./mvnw test -Dtest=PlainManifestsTest -Drma.k8s.regenerate=true
      """;

  @Test
  void kustomizeBuildOfK8sIsTheChartsDefaultRender() throws IOException {
    List<JsonNode> rendered = Manifests.render();
    List<JsonNode> coordinator =
        Manifests.plain(rendered).stream()
            .filter(d -> !d.path("kind").asText().equals("CustomResourceDefinition"))
            .toList();
    if (Boolean.getBoolean("rma.k8s.regenerate")) {
      StringBuilder out = new StringBuilder(HEADER);
      for (JsonNode doc : coordinator) {
        out.append("---\n").append(Manifests.toYaml(doc));
      }
      Files.writeString(COORDINATOR, out.toString(), StandardCharsets.UTF_8);
      Files.copy(Manifests.CHART_CRD, CRD, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    // What `kubectl apply -k k8s/` would send, built by kubectl's own kustomize.
    List<JsonNode> built =
        Manifests.documents(KubeTools.kubectl().ok("kustomize", Manifests.K8S.toString()));
    Map<String, JsonNode> expected = byKey(Manifests.plain(rendered));
    JsonNode namespace =
        Manifests.documents(Files.readString(Manifests.K8S.resolve("namespace.yaml"))).get(0);
    expected.put(Manifests.key(namespace), namespace);

    Map<String, JsonNode> actual = byKey(built);
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    for (String key : expected.keySet()) {
      assertThat(actual.get(key))
          .as(key + " differs from the chart's render: regenerate k8s/ (see this test's Javadoc)")
          .isEqualTo(expected.get(key));
    }
  }

  @Test
  void k8sCrdIsTheChartsCrd() throws IOException {
    assertThat(Files.readString(CRD)).isEqualTo(Files.readString(Manifests.CHART_CRD));
  }

  @Test
  void namespaceEnforcesTheRestrictedProfile() throws IOException {
    JsonNode labels =
        Manifests.documents(Files.readString(Manifests.K8S.resolve("namespace.yaml")))
            .get(0)
            .path("metadata")
            .path("labels");
    assertThat(labels.path("pod-security.kubernetes.io/enforce").asText()).isEqualTo("restricted");
  }

  private static Map<String, JsonNode> byKey(List<JsonNode> docs) {
    Map<String, JsonNode> map = new TreeMap<>();
    for (JsonNode doc : docs) {
      assertThat(map.put(Manifests.key(doc), doc)).as("duplicate " + Manifests.key(doc)).isNull();
    }
    return map;
  }
}
