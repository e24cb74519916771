package io.rma.coordinator.http;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Requests, errors and latency per route over a sliding window ({@link #HISTORY} in {@link #BUCKET}
 * buckets), for {@code GET /api/admin/routes} and the dashboard. Plain Java on the coordinator's
 * clock; the Prometheus histogram of the same requests is exported separately.
 *
 * <p>Each bucket holds counts and a latency histogram with log-spaced bins (each 1.25 times the
 * last, 0.25 ms to about 5 minutes) and the slowest request; a quantile is interpolated inside its
 * bin, so it is off by less than one bin's width (25 %) and usually by much less. Recording is a
 * few atomic increments; a bucket is replaced when its ten seconds come round again. Memory is
 * bounded by the route names, which are a fixed set ({@link RouteStatsFilter#routeOf}).
 */
public final class RouteStats {
  public static final Duration BUCKET = Duration.ofSeconds(10);
  public static final Duration HISTORY = Duration.ofMinutes(15);
  static final int SLOTS = (int) (HISTORY.toMillis() / BUCKET.toMillis());

  private static final double FIRST_BOUND_MS = 0.25;
  private static final double GROWTH = 1.25;
  private static final int BINS = 64; // the last bin holds everything slower than ~5 minutes
  private static final double[] UPPER_MS = new double[BINS];

  static {
    double b = FIRST_BOUND_MS;
    for (int i = 0; i < BINS; i++) {
      UPPER_MS[i] = b;
      b *= GROWTH;
    }
  }

  private final Clock clock;
  private final ConcurrentHashMap<String, Route> routes = new ConcurrentHashMap<>();

  public RouteStats(Clock clock) {
    this.clock = clock;
  }

  /** The live counters of one route (created on first use). */
  Route route(String name) {
    return routes.computeIfAbsent(name, n -> new Route());
  }

  /** Records one answered request. */
  public void record(String route, int status, long nanos) {
    route(route).record(period(clock.instant()), status, nanos);
  }

  private static long period(Instant t) {
    return Math.floorDiv(t.toEpochMilli(), BUCKET.toMillis());
  }

  /** Totals of one route over a window. */
  public record Summary(
      String route,
      long requests,
      long errors,
      long clientErrors,
      double ratePerSecond,
      double p50Ms,
      double p90Ms,
      double p99Ms,
      int inFlight,
      List<Point> series) {}

  /** One bucket of the series: its start, requests and server errors (5xx). */
  public record Point(Instant at, long requests, long errors) {}

  /** Every route seen since start, by name, over the last {@code window} (at most HISTORY). */
  public List<Summary> summaries(Duration window) {
    Instant now = clock.instant();
    long current = period(now);
    int buckets =
        (int) Math.max(1, Math.min(SLOTS, Math.ceilDiv(window.toMillis(), BUCKET.toMillis())));
    List<Summary> out = new ArrayList<>();
    for (Map.Entry<String, Route> e : new TreeMap<>(routes).entrySet()) {
      out.add(e.getValue().summary(e.getKey(), current, buckets));
    }
    return out;
  }

  /** Live counters of one route: a ring of buckets and the requests in flight now. */
  static final class Route {
    final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicReferenceArray<Slot> ring = new AtomicReferenceArray<>(SLOTS);

    void record(long period, int status, long nanos) {
      int i = (int) Math.floorMod(period, (long) SLOTS);
      Slot s = ring.get(i);
      while (s == null || s.period != period) {
        if (s != null && s.period > period) {
          return; // the clock went back past a newer bucket: drop rather than mix two periods
        }
        Slot fresh = new Slot(period);
        if (ring.compareAndSet(i, s, fresh)) {
          s = fresh;
        } else {
          s = ring.get(i);
        }
      }
      s.requests.incrementAndGet();
      if (status >= 500) {
        s.errors.incrementAndGet();
      } else if (status >= 400) {
        s.clientErrors.incrementAndGet();
      }
      s.latency.incrementAndGet(bin(nanos / 1e6));
      s.maxNanos.accumulateAndGet(nanos, Math::max);
    }

    Summary summary(String name, long current, int buckets) {
      long requests = 0;
      long errors = 0;
      long clientErrors = 0;
      long[] hist = new long[BINS];
      long maxNanos = 0;
      List<Point> series = new ArrayList<>(buckets);
      for (long p = current - buckets + 1; p <= current; p++) {
        Slot s = ring.get((int) Math.floorMod(p, (long) SLOTS));
        long n = 0;
        long err = 0;
        if (s != null && s.period == p) {
          n = s.requests.get();
          err = s.errors.get();
          requests += n;
          errors += err;
          clientErrors += s.clientErrors.get();
          maxNanos = Math.max(maxNanos, s.maxNanos.get());
          for (int b = 0; b < BINS; b++) {
            hist[b] += s.latency.get(b);
          }
        }
        series.add(new Point(Instant.ofEpochMilli(p * BUCKET.toMillis()), n, err));
      }
      double seconds = buckets * (double) BUCKET.toSeconds();
      double maxMs = maxNanos / 1e6;
      return new Summary(
          name,
          requests,
          errors,
          clientErrors,
          requests / seconds,
          quantile(hist, requests, 0.50, maxMs),
          quantile(hist, requests, 0.90, maxMs),
          quantile(hist, requests, 0.99, maxMs),
          inFlight.get(),
          series);
    }
  }

  private static final class Slot {
    final long period;
    final AtomicLong requests = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong clientErrors = new AtomicLong();
    final AtomicLongArray latency = new AtomicLongArray(BINS);
    final AtomicLong maxNanos = new AtomicLong();

    Slot(long period) {
      this.period = period;
    }
  }

  static int bin(double ms) {
    if (ms <= FIRST_BOUND_MS) {
      return 0;
    }
    int b = (int) Math.min(BINS - 1, Math.ceil(Math.log(ms / FIRST_BOUND_MS) / Math.log(GROWTH)));
    // Rounding in the logarithm can land one bin off at a bound: settle it by comparison.
    while (b > 0 && ms <= UPPER_MS[b - 1]) {
      b--;
    }
    while (b < BINS - 1 && ms > UPPER_MS[b]) {
      b++;
    }
    return Math.min(b, BINS - 1);
  }

  /**
   * The {@code q} quantile in milliseconds, interpolated inside its bin (whose top is cut to the
   * slowest request seen, {@code maxMs}); 0 when there is nothing.
   */
  static double quantile(long[] hist, long total, double q, double maxMs) {
    if (total == 0) {
      return 0;
    }
    double rank = q * total;
    long seen = 0;
    for (int b = 0; b < BINS; b++) {
      if (hist[b] == 0) {
        continue;
      }
      if (seen + hist[b] >= rank) {
        double lower = b == 0 ? 0 : UPPER_MS[b - 1];
        double upper = Math.max(lower, Math.min(UPPER_MS[b], maxMs));
        double within = (rank - seen) / hist[b];
        return round(lower + (upper - lower) * within);
      }
      seen += hist[b];
    }
    return round(maxMs);
  }

  private static double round(double ms) {
    return Math.round(ms * 100) / 100.0;
  }
}
