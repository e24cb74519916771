package io.rma.coordinator.pool;

import io.rma.coordinator.pool.ServiceCatalogue.ServiceDefinition;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which services a worker runs: the ones it declared, when it declared any; else the gap it fills,
 * the service of its tier that the fewest workers run now (ties go to the service listed first in
 * the catalogue).
 */
public final class ServiceAssignmentPolicy {
  private final ServiceCatalogue catalogue;

  public ServiceAssignmentPolicy(ServiceCatalogue catalogue) {
    this.catalogue = catalogue;
  }

  /** The catalogue the services come from (their ports, for the worker's endpoint). */
  public ServiceCatalogue catalogue() {
    return catalogue;
  }

  /**
   * The declared services the catalogue knows, in the worker's order (registration refuses unknown
   * names; a stored worker may predate that). Empty when the worker declared none: fill a gap.
   */
  public List<String> declared(List<String> services) {
    if (services == null) {
      return List.of();
    }
    return services.stream().filter(s -> catalogue.find(s).isPresent()).distinct().toList();
  }

  /**
   * @param tier the new worker's tier
   * @param coverage how many workers (not counting the new one) run each service now
   * @return the service to assign, or empty when the catalogue has none for the tier
   */
  public Optional<ServiceDefinition> assign(int tier, Map<String, Integer> coverage) {
    List<ServiceDefinition> candidates = catalogue.forTier(tier);
    // Stream.min keeps the first of equal elements, so ties follow catalogue order.
    return candidates.stream()
        .min(Comparator.comparingInt(s -> coverage.getOrDefault(s.name(), 0)));
  }
}
