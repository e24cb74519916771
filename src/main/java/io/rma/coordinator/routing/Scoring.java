package io.rma.coordinator.routing;

import io.rma.coordinator.pool.WorkerView;
import java.util.List;

/** Scorers with their weights, added up: a candidate's cost, lower is better. */
public final class Scoring {
  /** A reported load of 1.0 weighs as much as this many requests in flight. */
  public static final double LOAD_WEIGHT = 10;

  /** One scorer and its weight. */
  public record Weighted(Scorer scorer, double weight) {}

  private final Weighted[] scorers;

  public Scoring(List<Weighted> scorers) {
    this.scorers = scorers.toArray(Weighted[]::new);
  }

  /** The default: in-flight requests, and the reported load weighing {@link #LOAD_WEIGHT}. */
  public static Scoring defaults(InFlight inFlight) {
    return new Scoring(
        List.of(
            new Weighted(new InFlightScorer(inFlight), 1),
            new Weighted(new ReportedLoadScorer(), LOAD_WEIGHT)));
  }

  public double score(WorkerView worker, RouteRequest request) {
    double total = 0;
    for (Weighted w : scorers) {
      total += w.weight() * w.scorer().score(worker, request);
    }
    return total;
  }
}
