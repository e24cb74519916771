package io.rma.coordinator.http;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bound on the inference request bodies held in memory at once, across all requests: each body
 * takes its declared length from the budget before it is read (a chunked one, its bytes as they
 * arrive) and gives them back when its request is answered. A request whose body does not fit gets
 * 503 with {@code Retry-After} instead of filling the heap (many large vision requests at once on a
 * small container). Admitted bodies can always be completed, so under load some requests are served
 * rather than every one starving half-read. One body of the largest accepted size always fits when
 * nothing else is held (the limit is at least that size).
 *
 * <p>Refusals are counted in /observe/metrics as {@code rma_body_budget_rejections_total} and
 * logged (one warning per 10 s at most).
 */
public final class BodyBudget {
  private static final Logger LOG = System.getLogger(BodyBudget.class.getName());

  /** At most one warning in this many nanoseconds: a flood of rejections is one log line. */
  private static final long WARN_EVERY_NANOS = 10_000_000_000L;

  private static final BodyBudget UNLIMITED = new BodyBudget(Long.MAX_VALUE, null, null, false);

  private final long limit;
  private final long timeoutNanos;
  private final Deadlines deadlines;
  private final AtomicLong held = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
  private final Counter rejections;

  private BodyBudget(long limit, Deadlines deadlines, Duration timeout, boolean metrics) {
    if (limit < 1) {
      throw new IllegalArgumentException("the body budget must be at least 1 byte");
    }
    this.limit = limit;
    this.deadlines = timeout == null ? null : deadlines;
    this.timeoutNanos = timeout == null ? 0 : timeout.toNanos();
    if (metrics) {
      this.rejections =
          Metrics.getOrCreate(
              Counter.builder("rma.body.budget.rejections")
                  .description(
                      "Inference requests refused (503) because bodies held were at the limit"));
    } else {
      this.rejections = null;
    }
  }

  /**
   * A budget of {@code limit} bytes ({@link Long#MAX_VALUE}: no bound), its refusals counted in the
   * metrics. A body that gets no more bytes for {@code timeout} has its connection closed (the
   * thread reading it is interrupted by {@code deadlines}, which closes the socket), so a client
   * that stops part-way cannot keep the budget or a request thread.
   */
  static BodyBudget of(long limit, Deadlines deadlines, Duration timeout) {
    return new BodyBudget(limit, deadlines, timeout, limit != Long.MAX_VALUE);
  }

  /** No bound (for bodies other than inference requests, which have their own small caps). */
  public static BodyBudget unlimited() {
    return UNLIMITED;
  }

  public long limit() {
    return limit;
  }

  /** Bytes held now. */
  public long held() {
    return held.get();
  }

  /** Requests refused so far. */
  public long rejected() {
    return rejected.get();
  }

  /** A new, empty hold: one request's share. Close it when the request is answered. */
  public Hold hold() {
    return new Hold();
  }

  /** The bytes one request holds; closing gives them back (and the hold may be used again). */
  public final class Hold implements AutoCloseable {
    private long bytes;
    private Deadlines.Deadline reading;

    private Hold() {}

    /**
     * The current thread starts reading a body: from now on, a wait of the timeout for more of it
     * ends the connection. Call {@link #progress} as bytes arrive and {@link #doneReading} at the
     * end, whatever happens.
     */
    public void startReading() {
      if (deadlines != null) {
        reading = deadlines.start(timeoutNanos);
      }
    }

    /** More of the body arrived: the wait starts again. */
    public void progress() {
      if (reading != null) {
        reading.extend();
      }
    }

    /** The body is read (or failed). */
    public void doneReading() {
      if (reading != null && reading.end()) {
        LOG.log(
            Level.DEBUG,
            () ->
                "closed a client connection: no more of its request body for "
                    + Duration.ofNanos(timeoutNanos).toMillis()
                    + " ms (RMA_BODY_TIMEOUT)");
      }
      reading = null;
    }

    /**
     * Takes {@code n} more bytes.
     *
     * @throws ApiException 503 (with {@code retry_after}) when the budget has not that much left
     */
    public void take(long n) {
      if (limit == Long.MAX_VALUE || n <= 0) {
        return;
      }
      long now;
      do {
        now = held.get();
        if (now + n > limit) {
          throw refuse(now, n);
        }
      } while (!held.compareAndSet(now, now + n));
      bytes += n;
    }

    /** Whether the budget has a limit (false for {@link #unlimited()}). */
    public boolean bounded() {
      return limit != Long.MAX_VALUE;
    }

    /** Bytes this hold has taken. */
    public long bytes() {
      return bytes;
    }

    @Override
    public void close() {
      if (bytes > 0) {
        held.addAndGet(-bytes);
        bytes = 0;
      }
    }
  }

  private ApiException refuse(long now, long n) {
    rejected.incrementAndGet();
    if (rejections != null) {
      rejections.increment();
    }
    long t = System.nanoTime();
    long last = lastWarning.get();
    if (t - last >= WARN_EVERY_NANOS && lastWarning.compareAndSet(last, t)) {
      LOG.log(
          Level.WARNING,
          "refusing inference requests (503): request bodies held in memory are at the limit ("
              + now
              + " of "
              + limit
              + " bytes, RMA_INFLIGHT_BODY_BYTES); "
              + rejected.get()
              + " refused so far");
    }
    return new ApiException(
        503,
        "the coordinator is holding as many request bodies as it may ("
            + limit
            + " bytes); retry shortly",
        Map.of("retry_after", 1),
        "overloaded");
  }
}
