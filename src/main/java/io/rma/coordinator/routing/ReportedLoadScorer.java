package io.rma.coordinator.routing;

import io.rma.coordinator.pool.WorkerView;

/** The load (0.0 to 1.0) the worker last reported in its heartbeat; none reported weighs 0. */
public final class ReportedLoadScorer implements Scorer {
  @Override
  public double score(WorkerView worker, RouteRequest request) {
    return worker.load() == null ? 0 : worker.load();
  }
}
