package io.rma.coordinator.http;

import io.rma.coordinator.pool.WorkerView;
import io.rma.coordinator.routing.FailoverPolicy;
import io.rma.coordinator.routing.UpstreamFailure;
import io.rma.coordinator.routing.UpstreamFailure.Kind;
import io.rma.coordinator.routing.WorkerSelectionPolicy;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Routing's own answers when no worker answered: 404 (no worker has the model), 503 (none can take
 * the request now, with Retry-After), 502 (the worker failed), 504 (it did not answer in time),
 * naming the workers tried. Each is counted as the route's outcome.
 */
final class RoutingErrors {
  // OpenAI error.codes of routing's own answers (shown on the /v1/ routes, see ErrorMapping).
  private static final String NO_WORKER = "no_worker_available";
  private static final String WORKER_FAILED = "worker_failed";
  private static final String WORKER_TIMEOUT = "worker_timeout";
  private static final String MODEL_NOT_FOUND = "model_not_found";

  private final RouteMetrics metrics;
  private final int attempts;

  RoutingErrors(RouteMetrics metrics, int attempts) {
    this.metrics = metrics;
    this.attempts = attempts;
  }

  /** The 503 of a call no worker can take now. */
  ApiException noWorker(Router.Call call, WorkerSelectionPolicy.Candidates candidates) {
    metrics.outcome(call.route(), "no_worker");
    return new ApiException(503, noCandidate(call, candidates), Map.of(), NO_WORKER);
  }

  /**
   * The 404 of a model that no worker of the service serves, in any phase or mode (OpenAI's answer,
   * which its SDKs do not retry): waiting would not help.
   */
  ApiException modelNotFound(Router.Call call) {
    metrics.outcome(call.route(), "model_not_found");
    return new ApiException(
        404,
        "the model "
            + call.model()
            + " does not exist: no "
            + call.service().name()
            + " worker serves it",
        Map.of(),
        MODEL_NOT_FOUND);
  }

  ApiException noPushWorkerCanStream(Router.Call call) {
    metrics.outcome(call.route(), "no_worker");
    return new ApiException(
        503,
        "no push worker can stream "
            + call.service().name()
            + ": pull workers answer whole (send without stream)",
        Map.of(),
        NO_WORKER);
  }

  ApiException tooLarge(Router.Call call, WorkerView worker, long cap) {
    metrics.outcome(call.route(), "worker_failed");
    return new ApiException(
        502,
        "worker " + worker.name() + " answered with more than " + cap + " bytes",
        Map.of("tried", List.of(worker.name())),
        WORKER_FAILED);
  }

  ApiException gaveUp(
      Router.Call call, UpstreamFailure last, Map<String, String> tried, boolean attemptsUsed) {
    boolean timeout = last != null && last.kind() == Kind.TIMEOUT;
    metrics.outcome(call.route(), timeout ? "timed_out" : "worker_failed");
    StringBuilder detail = new StringBuilder();
    detail
        .append(timeout ? "timed out: " : "worker failed: ")
        .append("no ")
        .append(call.service().name())
        .append(" worker answered the ")
        .append(call.route())
        .append(" request; tried ")
        .append(
            tried.entrySet().stream()
                .map(e -> e.getKey() + " (" + e.getValue() + ")")
                .collect(Collectors.joining(", ")));
    if (last != null && !call.idempotent() && FailoverPolicy.mayHaveStarted(last.kind())) {
      detail
          .append("; not sent to another worker: the request may have started and ")
          .append(call.service().name())
          .append(" is not idempotent in the service catalogue");
    } else if (attemptsUsed) {
      detail.append("; gave up after ").append(attempts).append(" attempts");
    }
    return new ApiException(
        timeout ? 504 : 502,
        detail.toString(),
        Map.of("tried", List.copyOf(tried.keySet())),
        timeout ? WORKER_TIMEOUT : WORKER_FAILED);
  }

  private static String noCandidate(Router.Call call, WorkerSelectionPolicy.Candidates c) {
    StringBuilder detail =
        new StringBuilder("no worker available for the ")
            .append(call.route())
            .append(" request: none runs ")
            .append(call.service().name());
    if (call.model() != null) {
      detail.append(" for model ").append(call.model());
    }
    if (c.excluded().isEmpty()) {
      detail.append(" (no worker registered for it)");
    } else {
      detail
          .append(" and can take it now (")
          .append(
              c.excluded().entrySet().stream()
                  .limit(10)
                  .map(e -> e.getKey() + ": " + e.getValue())
                  .collect(Collectors.joining("; ")));
      if (c.excluded().size() > 10) {
        detail.append("; ").append(c.excluded().size() - 10).append(" more");
      }
      detail.append(")");
    }
    if (!c.pullWorkers().isEmpty()) {
      detail.append("; pull-mode workers get tasks from a queue, not pushed requests");
    }
    return detail.toString();
  }
}
