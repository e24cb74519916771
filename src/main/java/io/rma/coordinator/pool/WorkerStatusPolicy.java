package io.rma.coordinator.pool;

import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.ServiceCatalogue.ServiceDefinition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The desired status of one worker: tier from its capabilities; the services it declared, or, when
 * it declared none, a gap-filling service kept as long as the spec and tier stand; phase and
 * conditions, and the last heartbeat's load. Both the standalone loop and the Kubernetes reconciler
 * call this; neither decides anything itself.
 */
public final class WorkerStatusPolicy {
  private final TierPolicy tiers;
  private final ServiceAssignmentPolicy assignment;

  public WorkerStatusPolicy(TierPolicy tiers, ServiceAssignmentPolicy assignment) {
    this.tiers = tiers;
    this.assignment = assignment;
  }

  /**
   * @param generation metadata.generation of the spec
   * @param current the status as stored (never changed here)
   * @param phase the phase {@link PhasePolicy} decided
   * @param beat the last heartbeat, if any arrived since this coordinator took charge
   * @param coverage supplies, only when a service must be (re)assigned, how many other workers run
   *     each service
   */
  public RMAWorkerStatus desired(
      long generation,
      RMAWorkerSpec spec,
      RMAWorkerStatus current,
      WorkerPhase phase,
      Heartbeats.Beat beat,
      Supplier<Map<String, Integer>> coverage,
      Instant now) {
    RMAWorkerStatus next = current == null ? new RMAWorkerStatus() : current.copy();
    int tier = tiers.tier(spec.getCapabilities());
    boolean specChanged = !Objects.equals(next.getObservedGeneration(), generation);
    boolean needsService =
        next.getAssignedServices() == null
            || next.getAssignedServices().isEmpty()
            || !Objects.equals(next.getTier(), tier)
            || specChanged;
    next.setTier(tier);
    List<String> declared = assignment.declared(spec.getServices());
    if (!declared.isEmpty()) {
      // A worker that says what it runs gets exactly that: gap filling would hand it a service
      // it does not run (a vLLM box also given vision would be sent Ollama calls on its vLLM port).
      next.setAssignedServices(new ArrayList<>(declared));
    } else if (needsService) {
      List<String> assigned = new ArrayList<>();
      assignment.assign(tier, coverage.get()).map(ServiceDefinition::name).ifPresent(assigned::add);
      next.setAssignedServices(assigned);
    }
    next.setEndpoint(endpoint(spec, next.getAssignedServices()));
    next.setPhase(phase);
    if (beat != null) {
      next.setLoad(beat.load());
      next.setAvailableMemory(beat.availableMemory());
      next.setLastHeartbeat(beat.at().toString());
    }
    if (next.getTasksCompleted() == null) {
      next.setTasksCompleted(0L);
    }
    next.setConditions(
        ConditionAggregator.conditions(next.getConditions(), phase, generation, now));
    next.setObservedGeneration(generation);
    return next;
  }

  /**
   * Whether {@code desired} must be written over {@code current}: at once when a decision or an
   * observed transition changed; for the per-heartbeat fields (load, free memory, last heartbeat)
   * only once the keepalive has passed since the last write, so heartbeats never become writes.
   */
  public static boolean needsWrite(
      RMAWorkerStatus current,
      RMAWorkerStatus desired,
      Instant lastWritten,
      Duration keepalive,
      Instant now) {
    return desired.differsInDecisionsFrom(current)
        || (!desired.equals(current) && !lastWritten.plus(keepalive).isAfter(now));
  }

  /**
   * Where the coordinator reaches the worker (the status' {@code endpoint}, kubectl's ENDPOINT
   * column): its tunnel URL, else {@code http://ip:port} with the port it declared or its first
   * assigned service's port in the catalogue; null without an address.
   */
  String endpoint(RMAWorkerSpec spec, List<String> assigned) {
    if (spec.getTunnelUrl() != null && !spec.getTunnelUrl().isBlank()) {
      return spec.getTunnelUrl().strip();
    }
    if (spec.getIpAddress() == null || spec.getIpAddress().isBlank()) {
      return null;
    }
    Integer port = spec.getPort();
    if (port == null && assigned != null) {
      port =
          assigned.stream()
              .map(assignment.catalogue()::find)
              .flatMap(java.util.Optional::stream)
              .map(ServiceDefinition::port)
              .findFirst()
              .orElse(null);
    }
    String ip = spec.getIpAddress().strip();
    String host = ip.contains(":") && !ip.startsWith("[") ? "[" + ip + "]" : ip;
    return "http://" + host + (port == null ? "" : ":" + port);
  }

  /** Services a worker runs: the ones assigned to it and the ones it declared. */
  public static Set<String> servicesOf(RMAWorkerSpec spec, RMAWorkerStatus status) {
    Set<String> all = new LinkedHashSet<>();
    if (status != null && status.getAssignedServices() != null) {
      all.addAll(status.getAssignedServices());
    }
    if (spec != null && spec.getServices() != null) {
      all.addAll(spec.getServices());
    }
    return all;
  }

  /** A worker as coverage counts it: what it runs, and whether it is Offline. */
  public record CoverageEntry(String name, Set<String> services, boolean offline) {}

  /** How many workers other than {@code except} that are not Offline run each service. */
  public static Map<String, Integer> coverage(Collection<CoverageEntry> pool, String except) {
    Map<String, Integer> counts = new HashMap<>();
    for (CoverageEntry e : pool) {
      if (e.offline() || e.name().equals(except)) {
        continue;
      }
      e.services().forEach(s -> counts.merge(s, 1, Integer::sum));
    }
    return counts;
  }
}
