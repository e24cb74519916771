package io.rma.coordinator.http;

import io.rma.coordinator.pool.WorkerNames;

/** Worker ids as the API takes them. */
final class WorkerIds {
  private WorkerIds() {}

  /** The id, or a 400 naming the rule it breaks. */
  static String require(String id) {
    String problem = WorkerNames.problem(id);
    if (problem != null) {
      throw ApiException.badRequest(problem);
    }
    return id;
  }
}
