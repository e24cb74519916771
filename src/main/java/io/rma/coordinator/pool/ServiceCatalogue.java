package io.rma.coordinator.pool;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The services the coordinator can hand out and route to, in the order they are preferred when
 * coverage ties. Loaded from configuration ({@code service-catalogue.yaml} by default); it holds no
 * secrets: a worker supplies passwords and keys from its own environment.
 */
public final class ServiceCatalogue {
  private final Map<String, ServiceDefinition> byName = new LinkedHashMap<>();

  /**
   * One service.
   *
   * @param name service name, e.g. {@code vllm}
   * @param tier the tier whose gaps this service fills
   * @param image container image the worker runs
   * @param port port the service listens on inside the worker
   * @param env non-secret environment for the container
   * @param path worker-side path inference calls (null for services that take no inference)
   * @param idempotent whether a request that may have reached the worker may be sent to another
   */
  public record ServiceDefinition(
      String name,
      int tier,
      String image,
      int port,
      Map<String, String> env,
      String path,
      boolean idempotent) {
    public ServiceDefinition {
      env = env == null ? Map.of() : Map.copyOf(env);
    }
  }

  public ServiceCatalogue(List<ServiceDefinition> services) {
    for (ServiceDefinition s : services) {
      if (byName.putIfAbsent(s.name(), s) != null) {
        throw new IllegalArgumentException("service " + s.name() + " is listed twice");
      }
    }
  }

  public Optional<ServiceDefinition> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** Services that fill gaps in the given tier, in catalogue order. */
  public List<ServiceDefinition> forTier(int tier) {
    return byName.values().stream().filter(s -> s.tier() == tier).toList();
  }

  public List<ServiceDefinition> all() {
    return List.copyOf(byName.values());
  }
}
