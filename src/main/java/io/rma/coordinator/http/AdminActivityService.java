package io.rma.coordinator.http;

import io.helidon.common.parameters.Parameters;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.rma.coordinator.pool.PoolEvents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What the pool has been doing, for the dashboard: {@code GET /api/admin/events} (the latest
 * lifecycle events), {@code GET /api/admin/routes} (requests, errors and latency per route over a
 * window) and {@code GET /api/admin/tasks} (the pull-task queue). Guarded by {@link AdminAuth}.
 */
public final class AdminActivityService implements HttpService {
  static final int MAX_EVENTS = 1000;
  static final int DEFAULT_EVENTS = 100;
  static final Duration DEFAULT_WINDOW = Duration.ofMinutes(5);

  private final PoolEvents events;
  private final RouteStats routes;
  private final Supplier<Map<String, Object>> tasks;
  private final AdminAuth auth;

  public AdminActivityService(
      PoolEvents events, RouteStats routes, Supplier<Map<String, Object>> tasks, AdminAuth auth) {
    this.events = events;
    this.routes = routes;
    this.tasks = tasks;
    this.auth = auth;
  }

  @Override
  public void routing(HttpRules rules) {
    rules
        .get("/events", auth, this::events)
        .get("/routes", auth, this::routes)
        .get("/tasks", auth, (req, res) -> JsonBodies.ok(res, tasks.get()));
  }

  /**
   * {@code ?limit=} (1-1000, default 100), {@code ?after=} (a {@code seq}: only newer events),
   * {@code ?type=} (comma list) and {@code ?worker=}; newest first.
   */
  private void events(ServerRequest req, ServerResponse res) {
    Parameters q = req.query();
    int limit = number(q, "limit", DEFAULT_EVENTS, 1, MAX_EVENTS);
    long after = number(q, "after", 0, 0, Long.MAX_VALUE);
    Predicate<PoolEvents.Event> filter = e -> true;
    Optional<String> types = q.first("type").asOptional().filter(s -> !s.isBlank());
    if (types.isPresent()) {
      List<PoolEvents.Type> wanted = new ArrayList<>();
      for (String t : types.get().split(",")) {
        wanted.add(
            PoolEvents.Type.fromWire(t.trim())
                .orElseThrow(
                    () ->
                        ApiException.unprocessable(
                            "type must be one of registered, phase_changed, drained, undrained,"
                                + " pruned, unregistered (comma-separated)")));
      }
      filter = e -> wanted.contains(e.type());
    }
    Optional<String> worker = q.first("worker").asOptional().filter(s -> !s.isBlank());
    if (worker.isPresent()) {
      String id = WorkerIds.require(worker.get());
      filter = filter.and(e -> id.equals(e.worker()));
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (PoolEvents.Event e : events.newest(limit, after, filter)) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("seq", e.seq());
      m.put("at", e.at().toString());
      m.put("type", e.type().wire());
      m.put("worker_id", e.worker());
      if (e.type() == PoolEvents.Type.PHASE_CHANGED) {
        m.put("from", e.from() == null ? null : e.from().name());
        m.put("to", e.to() == null ? null : e.to().name());
      }
      m.put("detail", e.detail());
      out.add(m);
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("events", out);
    answer.put("latest_seq", events.latest());
    answer.put("oldest_seq", events.oldest());
    answer.put("capacity", events.capacity());
    JsonBodies.ok(res, answer);
  }

  /** {@code ?window=} (a duration such as {@code 5m}, 10s to 15m; default 5m). */
  private void routes(ServerRequest req, ServerResponse res) {
    Duration window = window(req.query().first("window").asOptional().orElse(null));
    List<Map<String, Object>> out = new ArrayList<>();
    for (RouteStats.Summary s : routes.summaries(window)) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("route", s.route());
      m.put("requests", s.requests());
      m.put("errors", s.errors());
      m.put("client_errors", s.clientErrors());
      m.put("rate_per_second", Math.round(s.ratePerSecond() * 1000) / 1000.0);
      m.put(
          "error_ratio",
          s.requests() == 0 ? 0.0 : Math.round(s.errors() * 10000.0 / s.requests()) / 10000.0);
      Map<String, Object> latency = new LinkedHashMap<>();
      latency.put("p50", s.p50Ms());
      latency.put("p90", s.p90Ms());
      latency.put("p99", s.p99Ms());
      m.put("latency_ms", latency);
      m.put("in_flight", s.inFlight());
      List<Map<String, Object>> series = new ArrayList<>(s.series().size());
      for (RouteStats.Point p : s.series()) {
        Map<String, Object> point = new LinkedHashMap<>();
        point.put("at", p.at().toString());
        point.put("requests", p.requests());
        point.put("errors", p.errors());
        series.add(point);
      }
      m.put("series", series);
      out.add(m);
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("window_seconds", window.toSeconds());
    answer.put("bucket_seconds", RouteStats.BUCKET.toSeconds());
    answer.put("routes", out);
    JsonBodies.ok(res, answer);
  }

  static Duration window(String raw) {
    if (raw == null || raw.isBlank()) {
      return DEFAULT_WINDOW;
    }
    Duration d;
    try {
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("(\\d{1,6})(s|m)").matcher(raw.trim());
      if (!m.matches()) {
        throw new IllegalArgumentException();
      }
      long n = Long.parseLong(m.group(1));
      d = m.group(2).equals("s") ? Duration.ofSeconds(n) : Duration.ofMinutes(n);
    } catch (IllegalArgumentException e) {
      throw ApiException.unprocessable("window must be a duration such as 90s or 5m");
    }
    if (d.compareTo(RouteStats.BUCKET) < 0 || d.compareTo(RouteStats.HISTORY) > 0) {
      throw ApiException.unprocessable(
          "window must be from "
              + RouteStats.BUCKET.toSeconds()
              + "s to "
              + RouteStats.HISTORY.toMinutes()
              + "m");
    }
    return d;
  }

  private static long number(Parameters q, String name, long fallback, long min, long max) {
    Optional<String> raw = q.first(name).asOptional().filter(s -> !s.isBlank());
    if (raw.isEmpty()) {
      return fallback;
    }
    long n;
    try {
      n = Long.parseLong(raw.get().trim());
    } catch (NumberFormatException e) {
      throw ApiException.unprocessable(name + " must be a whole number from " + min + " to " + max);
    }
    if (n < min || n > max) {
      throw ApiException.unprocessable(name + " must be a whole number from " + min + " to " + max);
    }
    return n;
  }

  private static int number(Parameters q, String name, int fallback, int min, int max) {
    return (int) number(q, name, (long) fallback, min, max);
  }
}
