package io.rma.coordinator.routing;

import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.WorkerMode;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.WorkerView;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
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
 *   <li>Within a group: power of two choices on the {@link Scoring} of the candidates (by default
 *       {@code in flight + load x 10}).
 * </ul>
 */
public final class WorkerSelectionPolicy {
  private final double loadCeiling;
  private final OutlierEjection ejection;
  private final Scoring scoring;
  private final RandomGenerator random;

  public WorkerSelectionPolicy(
      double loadCeiling, OutlierEjection ejection, Scoring scoring, RandomGenerator random) {
    this.loadCeiling = loadCeiling;
    this.ejection = ejection;
    this.scoring = scoring;
    this.random = random;
  }

  /**
   * The workers that may take a request, in preference groups, and why the others that run the
   * service may not.
   *
   * @param groups non-empty groups, best first
   * @param pullWorkers pull-mode workers that run the service and could take the request as a task
   *     (the seam for the task queue: push routing never calls them)
   * @param excluded worker name to the reason it is not a candidate; filled only when there is no
   *     candidate at all (it is for the message of that 503), empty otherwise
   * @param unknownModel the service has workers, but none of them (in any phase or mode) can serve
   *     the model asked for: no waiting would help (OpenAI's 404 {@code model_not_found})
   */
  public record Candidates(
      List<List<WorkerView>> groups,
      List<WorkerView> pullWorkers,
      Map<String, String> excluded,
      boolean unknownModel) {
    public boolean isEmpty() {
      return groups.isEmpty();
    }

    /** Every candidate, best group first. */
    public List<WorkerView> all() {
      return groups.stream().flatMap(List::stream).toList();
    }
  }

  /** Candidates worked out for one pool list, service and model, and the ejections they saw. */
  private record Kept(Collection<WorkerView> pool, long ejections, Candidates candidates) {}

  /** Most models per service whose candidates are kept (clients may name any model at all). */
  private static final int MAX_KEPT_MODELS = 64;

  private static final String NO_MODEL = "";

  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Kept>> kept =
      new ConcurrentHashMap<>();

  /**
   * The candidates for a request. They are worked out once per pool list and kept while the caller
   * hands in that same list ({@code Pool.workersRunning} gives the same list while nothing in the
   * pool changed) and no ejection started, ran out or was cleared: a request then costs a lookup,
   * however large the pool (1,000 workers of one service: 11 ms of CPU per request before, when
   * every request filtered the pool and compared candidate lists).
   */
  public Candidates candidates(Collection<WorkerView> pool, RouteRequest request) {
    String service = request.service();
    String model = request.model();
    ConcurrentHashMap<String, Kept> byModel =
        kept.computeIfAbsent(service, s -> new ConcurrentHashMap<>());
    String key = model == null ? NO_MODEL : model;
    long ejections = ejection.version();
    Kept k = byModel.get(key);
    if (k != null && k.pool() == pool && k.ejections() == ejections) {
      return k.candidates();
    }
    Candidates c = compute(pool, service, model);
    if (byModel.size() >= MAX_KEPT_MODELS) {
      byModel.clear();
    }
    byModel.put(key, new Kept(pool, ejections, c));
    return c;
  }

  private Candidates compute(Collection<WorkerView> pool, String service, String model) {
    List<WorkerView> pull = new ArrayList<>(0);
    List<WorkerView> serving = new ArrayList<>();
    List<WorkerView> anyModel = new ArrayList<>();
    for (WorkerView w : pool) {
      if (!w.services().contains(service)) {
        continue;
      }
      RMAWorkerSpec spec = w.worker().getSpec();
      if (spec != null && spec.getMode() == WorkerMode.pull) {
        pull.add(w);
      } else if (exclusion(w, false) == null) {
        if (model == null || w.advertises(model)) {
          serving.add(w);
        } else if (w.models().isEmpty()) {
          anyModel.add(w);
        }
      }
    }
    List<WorkerView> live = serving.isEmpty() ? anyModel : serving;
    List<List<WorkerView>> groups = groups(live);
    if (!groups.isEmpty()) {
      return new Candidates(groups, pull, Map.of(), false);
    }
    // No candidate: say why for each worker that runs the service (the 503's message).
    Map<String, String> excluded = new LinkedHashMap<>();
    boolean anyServesModel = false;
    for (WorkerView w : pool) {
      if (w.services().contains(service)) {
        anyServesModel |= w.servesModel(model);
        RMAWorkerSpec spec = w.worker().getSpec();
        String why =
            spec != null && spec.getMode() == WorkerMode.pull
                ? "pull mode"
                : Objects.requireNonNullElse(exclusion(w, true), "does not serve model " + model);
        excluded.put(w.name(), why);
      }
    }
    return new Candidates(groups, pull, excluded, !excluded.isEmpty() && !anyServesModel);
  }

  /**
   * Why a push worker cannot take requests now, or null when it can. Without {@code describe} the
   * reason is only marked (a non-null empty string): the hot path need not format it.
   */
  private String exclusion(WorkerView w, boolean describe) {
    RMAWorkerSpec spec = w.worker().getSpec();
    if (w.phase() == WorkerPhase.Offline || w.phase() == WorkerPhase.Draining) {
      return w.phase().name();
    }
    if (w.load() != null && w.load() > loadCeiling) {
      return describe
          ? String.format(Locale.ROOT, "load %.2f above the ceiling %.2f", w.load(), loadCeiling)
          : "";
    }
    if (spec == null || (spec.getTunnelUrl() == null && spec.getIpAddress() == null)) {
      return "no endpoint (neither tunnel_url nor ip_address)";
    }
    return null;
  }

  /** The preference groups of {@code live}, best first, without empty ones. */
  private List<List<WorkerView>> groups(List<WorkerView> live) {
    List<List<WorkerView>> byGroup = new ArrayList<>(4);
    for (int g = 0; g < 4; g++) {
      byGroup.add(new ArrayList<>());
    }
    for (WorkerView w : live) {
      byGroup.get(group(w)).add(w);
    }
    byGroup.removeIf(List::isEmpty);
    return List.copyOf(byGroup);
  }

  /** The best untried candidate: power of two choices within the first group with one left. */
  public Optional<WorkerView> choose(
      Candidates candidates, RouteRequest request, Collection<String> tried) {
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
      return Optional.of(scoring.score(b, request) < scoring.score(a, request) ? b : a);
    }
    return Optional.empty();
  }

  /** 0 Healthy, 1 Degraded, 2 ejected Healthy, 3 ejected Degraded. */
  private int group(WorkerView w) {
    return (ejection.ejected(w.name()) ? 2 : 0) + (w.phase() == WorkerPhase.Degraded ? 1 : 0);
  }
}
