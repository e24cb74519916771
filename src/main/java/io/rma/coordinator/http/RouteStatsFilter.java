package io.rma.coordinator.http;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.rma.coordinator.pool.ServiceCatalogue;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One filter over the routed paths ({@code /api/inference/*}, {@code /api/service/*}, {@code
 * /v1/*}): each request's route (named from its path), status and duration, into {@link RouteStats}
 * (the admin API's window) and into /observe/metrics: {@code rma_request_duration_seconds{route}}
 * (a histogram), {@code rma_requests_total{route, status}} (status class 2xx/3xx/4xx/5xx) and
 * {@code rma_requests_inflight{route}}. Route names are a fixed set, so labels stay few whatever
 * clients send.
 *
 * <p>Added first, it sees every answer on those paths, the coordinator's own refusals (standby,
 * rate limit) included; the duration runs until the answer has been sent, a stream's last chunk
 * included.
 */
public final class RouteStatsFilter implements Filter {
  private static final List<Duration> BUCKETS =
      List.of(
          Duration.ofMillis(5),
          Duration.ofMillis(10),
          Duration.ofMillis(25),
          Duration.ofMillis(50),
          Duration.ofMillis(100),
          Duration.ofMillis(250),
          Duration.ofMillis(500),
          Duration.ofSeconds(1),
          Duration.ofMillis(2500),
          Duration.ofSeconds(5),
          Duration.ofSeconds(10),
          Duration.ofSeconds(30),
          Duration.ofSeconds(60),
          Duration.ofSeconds(120));

  private static final Set<String> INFERENCE = Set.of("llm", "vision", "rag", "graph", "tasks");

  /** Process-wide, like the registry they are exported from: one set per route. */
  private static final ConcurrentHashMap<String, Meters> METERS = new ConcurrentHashMap<>();

  private final RouteStats stats;
  private final ServiceCatalogue catalogue;

  public RouteStatsFilter(RouteStats stats, ServiceCatalogue catalogue) {
    this.stats = stats;
    this.catalogue = catalogue;
  }

  @Override
  public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
    String route = routeOf(req.path().path(), catalogue);
    if (route == null) {
      chain.proceed();
      return;
    }
    long start = System.nanoTime();
    RouteStats.Route window = stats.route(route);
    Meters meters = METERS.computeIfAbsent(route, Meters::new);
    window.inFlight.incrementAndGet();
    meters.inFlight.incrementAndGet();
    res.whenSent(
        () -> {
          long nanos = System.nanoTime() - start;
          int status = res.status().code();
          stats.record(route, status, nanos);
          meters.duration.record(nanos, TimeUnit.NANOSECONDS);
          meters.byStatus(status).increment();
        });
    try {
      chain.proceed();
    } finally {
      window.inFlight.decrementAndGet();
      meters.inFlight.decrementAndGet();
    }
  }

  /**
   * The route a path belongs to, or null for paths this filter does not time. Unknown names under a
   * known prefix share one {@code *-other} route, so a client cannot make new labels.
   */
  static String routeOf(String path, ServiceCatalogue catalogue) {
    if (path.startsWith("/api/inference/")) {
      String rest = path.substring("/api/inference/".length());
      String first = firstSegment(rest);
      return INFERENCE.contains(first) ? first : "inference-other";
    }
    if (path.startsWith("/api/service/")) {
      String name = firstSegment(path.substring("/api/service/".length()));
      return catalogue.find(name).isPresent() ? "service-" + name : "service-other";
    }
    if (path.startsWith("/v1/")) {
      return switch (path) {
        case "/v1/completions" -> "openai-completions";
        case "/v1/chat/completions" -> "openai-chat";
        case "/v1/models" -> "openai-models";
        default -> "openai-other";
      };
    }
    return null;
  }

  private static String firstSegment(String s) {
    int slash = s.indexOf('/');
    return slash < 0 ? s : s.substring(0, slash);
  }

  /** The exported meters of one route. */
  private static final class Meters {
    final AtomicInteger inFlight = new AtomicInteger();
    final Timer duration;
    private final String route;
    private final Counter[] byClass = new Counter[6];

    Meters(String route) {
      this.route = route;
      this.duration =
          Metrics.getOrCreate(
              Timer.builder("rma.request.duration")
                  .description("Time from request to answer sent, by route")
                  .buckets(BUCKETS.toArray(Duration[]::new))
                  .tags(List.of(Tag.create("route", route))));
      Metrics.getOrCreate(
          Gauge.builder("rma.requests.inflight", inFlight::get)
              .description("Requests being answered now, by route")
              .tags(List.of(Tag.create("route", route))));
    }

    Counter byStatus(int status) {
      int c = Math.max(1, Math.min(5, status / 100));
      Counter counter = byClass[c];
      if (counter == null) {
        counter =
            Metrics.getOrCreate(
                Counter.builder("rma.requests")
                    .description("Answered requests, by route and status class")
                    .tags(List.of(Tag.create("route", route), Tag.create("status", c + "xx"))));
        byClass[c] = counter;
      }
      return counter;
    }
  }
}
