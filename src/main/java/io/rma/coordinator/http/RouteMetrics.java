package io.rma.coordinator.http;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code rma_routed_requests_total{route, outcome}} and {@code rma_route_failovers_total{route}} in
 * /observe/metrics. Outcomes: {@code answered} (the worker's answer was passed back, whatever its
 * status), {@code no_worker} (503), {@code worker_failed} (502), {@code timed_out} (504), {@code
 * cancelled} (the client went away mid-stream).
 */
final class RouteMetrics {
  /** Route, then outcome: two lookups of constant strings, nothing built per request. */
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Counter>> outcomes =
      new ConcurrentHashMap<>();

  private final ConcurrentHashMap<String, Counter> failovers = new ConcurrentHashMap<>();

  void outcome(String route, String outcome) {
    outcomes
        .computeIfAbsent(route, r -> new ConcurrentHashMap<>())
        .computeIfAbsent(
            outcome,
            o ->
                Metrics.getOrCreate(
                    Counter.builder("rma.routed.requests")
                        .description("Inference requests routed, by route and outcome")
                        .tags(List.of(Tag.create("route", route), Tag.create("outcome", outcome)))))
        .increment();
  }

  void failover(String route) {
    failovers
        .computeIfAbsent(
            route,
            k ->
                Metrics.getOrCreate(
                    Counter.builder("rma.route.failovers")
                        .description("Requests sent on to another worker after a failure")
                        .tags(List.of(Tag.create("route", route)))))
        .increment();
  }
}
