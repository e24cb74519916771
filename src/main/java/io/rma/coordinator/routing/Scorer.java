package io.rma.coordinator.routing;

import io.rma.coordinator.pool.WorkerView;

/**
 * One signal of how well a candidate would take a request: lower is better, 0 when the signal says
 * nothing against the worker. {@link Scoring} weighs and adds the scorers; a new signal is one
 * class behind this seam.
 */
@FunctionalInterface
public interface Scorer {
  /** The cost of sending {@code request} to {@code worker} now. */
  double score(WorkerView worker, RouteRequest request);
}
