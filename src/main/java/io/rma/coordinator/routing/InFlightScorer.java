package io.rma.coordinator.routing;

import io.rma.coordinator.pool.WorkerView;

/** Requests this coordinator has open to the worker: the freshest signal of how busy it is. */
public record InFlightScorer(InFlight inFlight) implements Scorer {
  @Override
  public double score(WorkerView worker, RouteRequest request) {
    return inFlight.count(worker.name());
  }
}
