package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.pool.ServiceCatalogue;
import io.rma.coordinator.testing.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-route sliding window: pure, on a moved clock. */
class RouteStatsTest {
  private static final long MS = 1_000_000;

  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private final RouteStats stats = new RouteStats(clock);

  private RouteStats.Summary only(Duration window) {
    List<RouteStats.Summary> all = stats.summaries(window);
    assertThat(all).hasSize(1);
    return all.getFirst();
  }

  @Test
  void countsRequestsServerErrorsAndClientErrorsApart() {
    stats.record("llm", 200, 5 * MS);
    stats.record("llm", 200, 5 * MS);
    stats.record("llm", 503, 5 * MS);
    stats.record("llm", 422, 5 * MS);
    RouteStats.Summary s = only(Duration.ofMinutes(1));
    assertThat(s.route()).isEqualTo("llm");
    assertThat(s.requests()).isEqualTo(4);
    assertThat(s.errors()).isEqualTo(1);
    assertThat(s.clientErrors()).isEqualTo(1);
    assertThat(s.ratePerSecond()).isCloseTo(4 / 60.0, within(1e-9));
    assertThat(s.series()).hasSize(6);
    assertThat(s.series().getLast().requests()).isEqualTo(4);
    assertThat(s.series().getLast().errors()).isEqualTo(1);
  }

  @Test
  void requestsLeaveTheWindowAsTheClockMovesOnAndTheHistoryIsBounded() {
    stats.record("rag", 200, MS);
    clock.advance(Duration.ofMinutes(2));
    stats.record("rag", 200, MS);
    assertThat(only(Duration.ofMinutes(1)).requests()).isEqualTo(1);
    assertThat(only(Duration.ofMinutes(5)).requests()).isEqualTo(2);
    clock.advance(Duration.ofMinutes(16));
    // The ring came round: the old buckets are not mistaken for new ones.
    assertThat(only(RouteStats.HISTORY).requests()).isZero();
    stats.record("rag", 200, MS);
    assertThat(only(RouteStats.HISTORY).requests()).isEqualTo(1);
    assertThat(only(Duration.ofHours(5)).series()).hasSize(RouteStats.SLOTS);
  }

  @Test
  void quantilesAreReadToWithinTheBinWidth() {
    for (int ms = 1; ms <= 1000; ms++) {
      stats.record("llm", 200, ms * MS);
    }
    RouteStats.Summary s = only(Duration.ofMinutes(1));
    // Within 13 %: a bin is 25 % wide, and the value is interpolated inside it.
    assertThat(s.p50Ms()).isCloseTo(500, within(500 * 0.13));
    assertThat(s.p90Ms()).isCloseTo(900, within(900 * 0.13));
    assertThat(s.p99Ms()).isCloseTo(990, within(990 * 0.13));
    stats.record("slow", 200, 10_000 * MS);
    assertThat(stats.summaries(Duration.ofMinutes(1)).get(1).p99Ms())
        .isCloseTo(10_000, within(100.0));
  }

  @Test
  void binsAreOrderedAndEveryDurationHasOne() {
    int last = 0;
    for (double ms = 0.01; ms < 1e7; ms *= 1.07) {
      int bin = RouteStats.bin(ms);
      assertThat(bin).isBetween(last, 63);
      last = bin;
    }
    assertThat(RouteStats.bin(0)).isZero();
    assertThat(RouteStats.bin(Double.MAX_VALUE)).isEqualTo(63);
    assertThat(RouteStats.quantile(new long[64], 0, 0.5, 0)).isZero();
  }

  @Test
  void routeNamesAreAFixedSetWhateverThePath() {
    ServiceCatalogue catalogue = ConfigLoader.load(Map.of()).catalogue();
    assertThat(RouteStatsFilter.routeOf("/api/inference/llm", catalogue)).isEqualTo("llm");
    assertThat(RouteStatsFilter.routeOf("/api/inference/rag/query", catalogue)).isEqualTo("rag");
    assertThat(RouteStatsFilter.routeOf("/api/inference/graph/extract", catalogue))
        .isEqualTo("graph");
    assertThat(RouteStatsFilter.routeOf("/api/inference/tasks/t-1", catalogue)).isEqualTo("tasks");
    assertThat(RouteStatsFilter.routeOf("/api/inference/x9f8", catalogue))
        .isEqualTo("inference-other");
    assertThat(RouteStatsFilter.routeOf("/api/service/notes/a/b", catalogue))
        .isEqualTo("service-notes");
    assertThat(RouteStatsFilter.routeOf("/api/service/random123/a", catalogue))
        .isEqualTo("service-other");
    assertThat(RouteStatsFilter.routeOf("/v1/chat/completions", catalogue))
        .isEqualTo("openai-chat");
    assertThat(RouteStatsFilter.routeOf("/v1/completions", catalogue))
        .isEqualTo("openai-completions");
    assertThat(RouteStatsFilter.routeOf("/v1/models", catalogue)).isEqualTo("openai-models");
    assertThat(RouteStatsFilter.routeOf("/v1/whatever", catalogue)).isEqualTo("openai-other");
    assertThat(RouteStatsFilter.routeOf("/api/admin/workers", catalogue)).isNull();
    assertThat(RouteStatsFilter.routeOf("/api/worker/heartbeat", catalogue)).isNull();
  }
}
