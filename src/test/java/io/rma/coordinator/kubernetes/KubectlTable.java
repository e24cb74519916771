package io.rma.coordinator.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code kubectl get} prints for custom resources, from the CRD's {@code
 * additionalPrinterColumns}: NAME first, then each column in the CRD's order ({@code -o wide}: the
 * priority-1 ones too); cells as the API server's table converter makes them (a string column
 * prints the JSON value, a list as {@code ["a","b"]}; a date column is the age, in kubectl's
 * rounding; a missing value is {@code <none>}), laid out like kubectl's tab writer (3 spaces
 * between columns).
 */
final class KubectlTable {
  private final List<CustomResourceColumnDefinition> columns;
  private final KubernetesSerialization json = new KubernetesSerialization();

  KubectlTable(List<CustomResourceColumnDefinition> columns) {
    this.columns = columns;
  }

  String render(List<?> objects, boolean wide, Instant now) {
    List<List<String>> rows = new ArrayList<>();
    List<String> header = new ArrayList<>();
    header.add("NAME");
    for (CustomResourceColumnDefinition c : shown(wide)) {
      header.add(c.getName().toUpperCase(Locale.ROOT));
    }
    rows.add(header);
    for (Object o : objects) {
      JsonNode tree = json.convertValue(o, JsonNode.class);
      List<String> row = new ArrayList<>();
      row.add(tree.path("metadata").path("name").asText());
      for (CustomResourceColumnDefinition c : shown(wide)) {
        row.add(cell(c, at(tree, c.getJsonPath()), now));
      }
      rows.add(row);
    }
    int[] width = new int[header.size()];
    for (List<String> r : rows) {
      for (int i = 0; i < r.size(); i++) {
        width[i] = Math.max(width[i], r.get(i).length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (List<String> r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.size(); i++) {
        line.append(r.get(i));
        if (i < r.size() - 1) {
          line.append(" ".repeat(Math.max(width[i] + 3, 6) - r.get(i).length()));
        }
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }

  private List<CustomResourceColumnDefinition> shown(boolean wide) {
    return columns.stream()
        .filter(c -> wide || c.getPriority() == null || c.getPriority() == 0)
        .toList();
  }

  /** A simple JSON path (".a.b"), as the CRD's columns are. */
  private static JsonNode at(JsonNode tree, String path) {
    JsonNode n = tree;
    for (String part : path.substring(1).split("\\.")) {
      n = n.path(part);
    }
    return n;
  }

  private String cell(CustomResourceColumnDefinition c, JsonNode v, Instant now) {
    if (v.isMissingNode() || v.isNull()) {
      return "<none>";
    }
    return switch (c.getType()) {
      case "date" -> humanDuration(Duration.between(Instant.parse(v.asText()), now));
      case "string" -> v.isTextual() ? v.asText() : v.toString();
      // Go's %v of a float64: no ".0" on whole numbers.
      case "number" ->
          v.asDouble() == Math.rint(v.asDouble())
              ? Long.toString((long) v.asDouble())
              : Double.toString(v.asDouble());
      default -> v.asText();
    };
  }

  /** kubectl's (apimachinery's) HumanDuration. */
  static String humanDuration(Duration d) {
    long seconds = d.toSeconds();
    if (seconds < -1) {
      return "<invalid>";
    } else if (seconds < 0) {
      return "0s";
    } else if (seconds < 120) {
      return seconds + "s";
    }
    long minutes = d.toMinutes();
    if (minutes < 10) {
      long s = seconds % 60;
      return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
    } else if (minutes < 180) {
      return minutes + "m";
    }
    long hours = d.toHours();
    if (hours < 8) {
      long m = minutes % 60;
      return m == 0 ? hours + "h" : hours + "h" + m + "m";
    } else if (hours < 48) {
      return hours + "h";
    } else if (hours < 24 * 8) {
      long h = hours % 24;
      return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
    } else if (hours < 24 * 365 * 2) {
      return hours / 24 + "d";
    } else if (hours < 24 * 365 * 8) {
      long dy = (hours / 24) % 365;
      return dy == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + dy + "d";
    }
    return hours / 24 / 365 + "y";
  }
}
