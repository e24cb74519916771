package io.rma.coordinator.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.api.v1alpha1.Capabilities;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.WorkerMode;
import io.rma.coordinator.pool.ServiceCatalogue;
import io.rma.coordinator.security.WorkerAddresses;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads {@code POST /api/worker/register} bodies as the original agents send them. Only {@code
 * capabilities.cpu_cores} and {@code capabilities.ram} are required; sizes are kept as written and
 * parsed later with real units. Wrong types, malformed addresses and services the catalogue does
 * not have are a 422 naming the field.
 */
public final class RegisterRequest {
  private static final int MAX_TEXT = 512;
  private static final int MAX_LIST = 64;

  private RegisterRequest() {}

  /** The worker id the agent asked for (re-registration), or null. */
  public static String requestedId(JsonNode body) {
    JsonNode id = body.get("worker_id");
    if (id == null || id.isNull()) {
      return null;
    }
    if (!id.isTextual()) {
      throw ApiException.unprocessable("worker_id must be a string");
    }
    return WorkerIds.require(id.asText());
  }

  /**
   * @param catalogue the services a worker may declare in {@code services}: any other name is a 422
   */
  public static RMAWorkerSpec spec(JsonNode body, ServiceCatalogue catalogue) {
    if (!body.isObject()) {
      throw ApiException.unprocessable("the body must be a JSON object");
    }
    JsonNode caps = body.get("capabilities");
    if (caps == null || caps.isNull()) {
      throw ApiException.unprocessable("capabilities is required");
    }
    if (!caps.isObject()) {
      throw ApiException.unprocessable("capabilities must be an object");
    }
    Capabilities c = new Capabilities();
    c.setCpuCores(cpuCores(caps.get("cpu_cores")));
    c.setRam(size(caps, "ram", true));
    c.setGpuType(text(caps, "gpu_type", "capabilities.gpu_type"));
    c.setGpuMemory(size(caps, "gpu_memory", false));
    c.setStorage(size(caps, "storage", false));
    c.setNetworkBandwidth(size(caps, "network_bandwidth", false));

    RMAWorkerSpec spec = new RMAWorkerSpec();
    spec.setCapabilities(c);
    String ip = address(body, "ip_address", WorkerAddresses::hostRefusal);
    // An IPv6 address is kept bare ("fd00::5"); URLs put the brackets back.
    spec.setIpAddress(ip != null && ip.startsWith("[") ? ip.substring(1, ip.length() - 1) : ip);
    spec.setTunnelUrl(address(body, "tunnel_url", WorkerAddresses::urlRefusal));
    spec.setPort(port(body.get("port")));
    spec.setServices(services(names(body, "services"), catalogue));
    spec.setModels(names(body, "models"));
    spec.setMode(mode(body.get("mode")));
    return spec;
  }

  private static Integer cpuCores(JsonNode n) {
    if (n == null || n.isNull()) {
      throw ApiException.unprocessable("capabilities.cpu_cores is required");
    }
    if (n.isIntegralNumber() || (n.isNumber() && n.asDouble() == Math.floor(n.asDouble()))) {
      long v = n.asLong();
      if (v >= 1 && v <= 100_000) {
        return (int) v;
      }
    } else if (n.isTextual() && n.asText().trim().matches("\\d{1,6}")) {
      int v = Integer.parseInt(n.asText().trim());
      if (v >= 1) {
        return v;
      }
    }
    throw ApiException.unprocessable("capabilities.cpu_cores must be a positive whole number");
  }

  private static String size(JsonNode caps, String field, boolean required) {
    JsonNode n = caps.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw ApiException.unprocessable("capabilities." + field + " is required");
      }
      return null;
    }
    if (n.isNumber()) {
      if (!Double.isFinite(n.asDouble()) || n.asDouble() < 0) {
        throw ApiException.unprocessable("capabilities." + field + " must not be negative");
      }
      return n.asText();
    }
    return text(caps, field, "capabilities." + field);
  }

  private static String text(JsonNode obj, String field, String label) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw ApiException.unprocessable(label + " must be a string");
    }
    String s = n.asText();
    if (s.length() > MAX_TEXT) {
      throw ApiException.unprocessable(label + " is longer than " + MAX_TEXT + " characters");
    }
    return s.isBlank() ? null : s.trim();
  }

  /**
   * An address the worker gives, as written: unlike other text it is not trimmed, since {@code
   * "127.0.0.1 "} is a typo to report, not an address. Blank counts as absent.
   */
  private static String address(
      JsonNode body, String field, Function<String, Optional<String>> refusal) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw ApiException.unprocessable(field + " must be a string");
    }
    String s = n.asText();
    if (s.isBlank()) {
      return null;
    }
    if (s.length() > MAX_TEXT) {
      throw ApiException.unprocessable(field + " is longer than " + MAX_TEXT + " characters");
    }
    refusal
        .apply(s)
        .ifPresent(
            why ->
                unprocessable(
                    field
                        + " refused: "
                        + why
                        + (field.equals("tunnel_url")
                            ? " (give an http or https URL, e.g. https://worker.example.com)"
                            : " (give an IPv4 address, an IPv6 address or a host name)")));
    return s;
  }

  private static void unprocessable(String detail) {
    throw ApiException.unprocessable(detail);
  }

  /** Declared services must be the catalogue's: a worker gets exactly what it declares. */
  private static List<String> services(List<String> declared, ServiceCatalogue catalogue) {
    List<String> unknown = declared.stream().filter(s -> catalogue.find(s).isEmpty()).toList();
    if (!unknown.isEmpty()) {
      throw ApiException.unprocessable(
          "services names "
              + (unknown.size() == 1 ? "a service" : "services")
              + " the catalogue does not have: "
              + String.join(", ", unknown)
              + " (it has "
              + String.join(
                  ", ",
                  catalogue.all().stream().map(ServiceCatalogue.ServiceDefinition::name).toList())
              + ")");
    }
    return declared;
  }

  private static Integer port(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (n.canConvertToInt() && n.isIntegralNumber() && n.asInt() >= 1 && n.asInt() <= 65535) {
      return n.asInt();
    }
    if (n.isTextual() && n.asText().matches("\\d{1,5}")) {
      int p = Integer.parseInt(n.asText());
      if (p >= 1 && p <= 65535) {
        return p;
      }
    }
    throw ApiException.unprocessable("port must be a whole number from 1 to 65535");
  }

  private static List<String> names(JsonNode body, String field) {
    JsonNode n = body.get(field);
    List<String> out = new ArrayList<>();
    if (n == null || n.isNull()) {
      return out;
    }
    if (!n.isArray() || n.size() > MAX_LIST) {
      throw ApiException.unprocessable(
          field + " must be a list of at most " + MAX_LIST + " strings");
    }
    for (JsonNode e : n) {
      // Agents send either names or objects with a name (e.g. {"name": "llama3", ...}).
      String name =
          e.isTextual()
              ? e.asText()
              : e.isObject() && e.path("name").isTextual() ? e.get("name").asText() : null;
      if (name == null || name.isBlank() || name.length() > 253) {
        throw ApiException.unprocessable(field + " must be a list of names");
      }
      if (!out.contains(name.trim())) {
        out.add(name.trim());
      }
    }
    return out;
  }

  private static WorkerMode mode(JsonNode n) {
    if (n == null || n.isNull()) {
      return WorkerMode.push;
    }
    if (n.isTextual()) {
      try {
        return WorkerMode.valueOf(n.asText().trim().toLowerCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        // fall through to the 422
      }
    }
    throw ApiException.unprocessable("mode must be \"push\" or \"pull\"");
  }
}
