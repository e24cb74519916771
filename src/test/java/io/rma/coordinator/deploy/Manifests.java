package io.rma.coordinator.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Renders the Helm chart and reads the YAML that helm and kustomize print. */
final class Manifests {
  static final Path CHART = Path.of("helm", "rma-coordinator");
  static final Path CHART_CRD = CHART.resolve("crds").resolve("rmaworkers.rma.io-v1.yml");
  static final Path K8S = Path.of("k8s");
  static final String RELEASE = "rma";
  static final String NAMESPACE = "rma";

  static final ObjectMapper YAML =
      new ObjectMapper(
          new YAMLFactory()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
              .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR));

  private Manifests() {}

  /** {@code helm template rma helm/rma-coordinator --namespace rma --include-crds ARGS}. */
  static List<JsonNode> render(String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "template", RELEASE, CHART.toString(), "--namespace", NAMESPACE, "--include-crds"));
    command.addAll(List.of(args));
    return documents(KubeTools.helm().ok(command.toArray(String[]::new)));
  }

  /** The non-empty documents of a multi-document YAML stream. */
  static List<JsonNode> documents(String yaml) {
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc != null && doc.isObject() && !doc.isEmpty()) {
          docs.add(doc);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return docs;
  }

  /** Each document as the fabric8 model class its apiVersion and kind name. */
  static List<HasMetadata> objects(List<JsonNode> docs) {
    return docs.stream().map(d -> (HasMetadata) Serialization.unmarshal(d.toString())).toList();
  }

  static <T extends HasMetadata> Stream<T> ofType(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast);
  }

  static <T extends HasMetadata> T single(List<HasMetadata> objects, Class<T> type) {
    List<T> found = ofType(objects, type).toList();
    if (found.size() != 1) {
      throw new AssertionError("expected one " + type.getSimpleName() + ", found " + found.size());
    }
    return found.get(0);
  }

  static String key(JsonNode doc) {
    JsonNode meta = doc.path("metadata");
    return doc.path("kind").asText()
        + "/"
        + meta.path("namespace").asText("")
        + "/"
        + meta.path("name").asText();
  }

  /**
   * The chart's default render as plain manifests: without the Secret (its tokens are random; a
   * plain install creates it by hand) and without the labels that only mean something to Helm.
   */
  static List<JsonNode> plain(List<JsonNode> rendered) {
    List<JsonNode> plain = new ArrayList<>();
    for (JsonNode doc : rendered) {
      if (doc.path("kind").asText().equals("Secret")) {
        continue;
      }
      ObjectNode copy = doc.deepCopy();
      stripHelmLabels(copy.path("metadata"));
      stripHelmLabels(copy.path("spec").path("template").path("metadata"));
      plain.add(copy);
    }
    return plain;
  }

  private static void stripHelmLabels(JsonNode metadata) {
    if (metadata.path("labels") instanceof ObjectNode labels) {
      labels.remove("helm.sh/chart");
      labels.remove("app.kubernetes.io/managed-by");
    }
  }

  static String toYaml(JsonNode doc) {
    try {
      return YAML.writeValueAsString(doc);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
