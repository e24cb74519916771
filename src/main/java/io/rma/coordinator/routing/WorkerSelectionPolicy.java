package io.rma.coordinator.routing;

import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.WorkerMode;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.health.WorkerView;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToIntFunction;
import java.util.random.RandomGenerator;

/**
 * Which worker takes a request. Plain Java: the caller hands in the pool as it stands, the requests
 * in flight and the ejection record.
 *
 * <ul>
 *   <li>Candidates run the service (assigned or declared), are push-mode, have an endpoint, are
 *       Healthy or Degraded (never Offline or Draining) and last reported a load no higher than the
 *       ceiling.
 *   <li>A request naming a model goes to candidates advertising it; when none does, to candidates
 *       that advertise no model list (they take any model).
 *   <li>Preference groups, best first: Healthy, Degraded, then (as a last resort, so that one flaky
 *       worker never turns into a hard outage) ejected Healthy, ejected Degraded.
 *   <li>Within a group: power of two choices on {@code in flight + load x LOAD_WEIGHT}.
 * </ul>
 */
public final class WorkerSelectionPolicy {
  /** A worker's reported load of 1.0 weighs as much as this many requests in flight. */
  static final double LOAD_WEIGHT = 10;

  private final double loadCeiling;
  private final OutlierEjection ejection;
  private final ToIntFunction<String> inFlight;
  private final RandomGenerator random;

  public WorkerSelectionPolicy(
      double loadCeiling,
      OutlierEjection ejection,
      ToIntFunction<String> inFlight,
      RandomGenerator random) {
    this.loadCeiling = loadCeiling;
    this.ejection = ejection;
    this.inFlight = inFlight;
    this.random = random;
  }

  /**
   * The workers that may take a request, in preference groups, and why the others that run the
   * service may not.
   *
   * @param groups non-empty groups, best first
   * @param pullWorkers pull-mode workers that run the service and could take the request as a task
   *     (the seam for the task queue: push routing never calls them)
   * @param excluded worker name to the reason it is not a candidate
   */
  public record Candidates(
      List<List<WorkerView>> groups, List<WorkerView> pullWorkers, Map<String, String> excluded) {
    public boolean isEmpty() {
      return groups.isEmpty();
    }

    /** Every candidate, best group first. */
    public List<WorkerView> all() {
      return groups.stream().flatMap(List::stream).toList();
    }
  }

  public Candidates candidates(Collection<WorkerView> pool, String service, String model) {
    Map<String, String> excluded = new LinkedHashMap<>();
    List<WorkerView> pull = new ArrayList<>();
    List<WorkerView> live = new ArrayList<>();
    for (WorkerView w : pool) {
      if (!w.services().contains(service)) {
        continue;
      }
      RMAWorkerSpec spec = w.worker().getSpec();
      if (spec != null && spec.getMode() == WorkerMode.pull) {
        pull.add(w);
        excluded.put(w.name(), "pull mode");
      } else if (w.phase() == WorkerPhase.Offline || w.phase() == WorkerPhase.Draining) {
        excluded.put(w.name(), w.phase().name());
      } else if (w.load() != null && w.load() > loadCeiling) {
        excluded.put(
            w.name(),
            String.format(Locale.ROOT, "load %.2f above the ceiling %.2f", w.load(), loadCeiling));
      } else if (spec == null || (spec.getTunnelUrl() == null && spec.getIpAddress() == null)) {
        excluded.put(w.name(), "no endpoint (neither tunnel_url nor ip_address)");
      } else {
        live.add(w);
      }
    }
    if (model != null) {
      List<WorkerView> serving = new ArrayList<>();
      List<WorkerView> anyModel = new ArrayList<>();
      for (WorkerView w : live) {
        List<String> models = models(w);
        if (models.contains(model)) {
          serving.add(w);
        } else if (models.isEmpty()) {
          anyModel.add(w);
        }
      }
      List<WorkerView> chosen = serving.isEmpty() ? anyModel : serving;
      for (WorkerView w : live) {
        if (!chosen.contains(w)) {
          excluded.put(w.name(), "does not serve model " + model);
        }
      }
      live = chosen;
    }
    // Plain loops: this runs on every request.
    List<List<WorkerView>> groups = new ArrayList<>(1);
    for (int g = 0; g < 4; g++) {
      List<WorkerView> members = null;
      for (WorkerView w : live) {
        if (group(w) == g) {
          if (members == null) {
            members = new ArrayList<>(live.size());
          }
          members.add(w);
        }
      }
      if (members != null) {
        groups.add(members);
      }
    }
    return new Candidates(groups, pull, excluded);
  }

  /** The best untried candidate: power of two choices within the first group with one left. */
  public Optional<WorkerView> choose(Candidates candidates, Collection<String> tried) {
    for (List<WorkerView> group : candidates.groups()) {
      List<WorkerView> left = group;
      if (!tried.isEmpty()) {
        left = new ArrayList<>(group.size());
        for (WorkerView w : group) {
          if (!tried.contains(w.name())) {
            left.add(w);
          }
        }
      }
      if (left.isEmpty()) {
        continue;
      }
      if (left.size() == 1) {
        return Optional.of(left.get(0));
      }
      int i = random.nextInt(left.size());
      int j = random.nextInt(left.size() - 1);
      if (j >= i) {
        j++;
      }
      WorkerView a = left.get(i);
      WorkerView b = left.get(j);
      return Optional.of(score(b) < score(a) ? b : a);
    }
    return Optional.empty();
  }

  double score(WorkerView w) {
    return inFlight.applyAsInt(w.name()) + (w.load() == null ? 0 : w.load()) * LOAD_WEIGHT;
  }

  /** 0 Healthy, 1 Degraded, 2 ejected Healthy, 3 ejected Degraded. */
  private int group(WorkerView w) {
    return (ejection.ejected(w.name()) ? 2 : 0) + (w.phase() == WorkerPhase.Degraded ? 1 : 0);
  }

  private static List<String> models(WorkerView w) {
    List<String> m = w.worker().getSpec() == null ? null : w.worker().getSpec().getModels();
    return m == null ? List.of() : m;
  }
}
