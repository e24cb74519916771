package io.rma.coordinator.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.helidon.webserver.http.ServerRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A token bucket per client address: {@code permits} per {@code period}, bursting to that many. A
 * client over its limit gets 429 with {@code Retry-After}. Buckets of clients not seen for a while
 * are dropped, and at most {@code maxClients} are kept, so a scan from many addresses cannot grow
 * memory without bound.
 */
public final class ClientRateLimiter {
  private final String what;
  private final long permits;
  private final Duration period;
  private final Cache<String, Bucket> buckets;
  private final TimeMeter time;

  /**
   * @param permits requests allowed per period; 0 turns the limit off
   */
  public ClientRateLimiter(String what, long permits, Duration period, Clock clock) {
    this.what = what;
    this.permits = permits;
    this.period = period;
    this.buckets =
        Caffeine.newBuilder()
            .maximumSize(100_000)
            .expireAfterAccess(period.multipliedBy(2).plusMinutes(1))
            .build();
    this.time = new ClockTimeMeter(clock);
  }

  public boolean enabled() {
    return permits > 0;
  }

  /** Takes one permit for the request's client or throws a 429. */
  public void acquire(ServerRequest req) {
    if (enabled()) {
      acquire(HelidonExchange.client(req));
    }
  }

  /** Takes one permit for {@code client} (an address) or throws a 429. */
  public void acquire(String client) {
    if (permits <= 0) {
      return;
    }
    Bucket bucket =
        buckets.get(
            client,
            c ->
                Bucket.builder()
                    .addLimit(
                        Bandwidth.builder().capacity(permits).refillGreedy(permits, period).build())
                    .withCustomTimePrecision(time)
                    .build());
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    if (!probe.isConsumed()) {
      long waitSeconds =
          Math.max(
              1, TimeUnit.NANOSECONDS.toSeconds(probe.getNanosToWaitForRefill() + 999_999_999));
      throw new ApiException(
          429,
          "too many "
              + what
              + " requests from "
              + client
              + ": at most "
              + permits
              + " per "
              + period.toSeconds()
              + " s",
          Map.of("retry_after", waitSeconds),
          "rate_limited");
    }
  }

  /** Lets tests move time with the coordinator's clock. */
  private record ClockTimeMeter(Clock clock) implements TimeMeter {
    @Override
    public long currentTimeNanos() {
      var now = clock.instant();
      return TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano();
    }

    @Override
    public boolean isWallClockBased() {
      return true;
    }
  }
}
