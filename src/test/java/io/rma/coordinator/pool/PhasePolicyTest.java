package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.PhasePolicy.Member;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PhasePolicyTest {
  private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
  private final HealthSettings settings = HealthSettings.defaults();
  private final PhasePolicy policy = new PhasePolicy(settings);
  // The coordinator has been up for an hour unless a test says otherwise.
  private final Instant startedAt = START.minus(Duration.ofHours(1));

  private static Member member(String name, Instant lastSeen) {
    return new Member(name, lastSeen, false, false, WorkerPhase.Healthy);
  }

  @Test
  void aWorkerHeardFromRecentlyIsHealthy() {
    assertThat(policy.phase(member("a", START), START.plusSeconds(89), startedAt))
        .isEqualTo(WorkerPhase.Healthy);
  }

  @Test
  void aWorkerSilentForTheOfflineWindowIsOffline() {
    assertThat(policy.phase(member("a", START), START.plusSeconds(90), startedAt))
        .isEqualTo(WorkerPhase.Offline);
  }

  @Test
  void aHeartbeatAfterGoingOfflineMakesItHealthyAgain() {
    Member offline = new Member("a", START, false, false, WorkerPhase.Offline);
    Instant now = START.plusSeconds(600);
    assertThat(policy.phase(offline, now, startedAt)).isEqualTo(WorkerPhase.Offline);
    Member beatJustNow = new Member("a", now, false, false, WorkerPhase.Offline);
    assertThat(policy.phase(beatJustNow, now, startedAt)).isEqualTo(WorkerPhase.Healthy);
  }

  @Test
  void aWorkerReportingDegradedIsDegraded() {
    Member m = new Member("a", START, true, false, WorkerPhase.Healthy);
    assertThat(policy.phase(m, START.plusSeconds(1), startedAt)).isEqualTo(WorkerPhase.Degraded);
  }

  @Test
  void aDrainingWorkerIsDrainingUntilItGoesSilent() {
    Member m = new Member("a", START, false, true, WorkerPhase.Healthy);
    assertThat(policy.phase(m, START.plusSeconds(1), startedAt)).isEqualTo(WorkerPhase.Draining);
    assertThat(policy.phase(m, START.plusSeconds(91), startedAt)).isEqualTo(WorkerPhase.Offline);
  }

  @Test
  void offlineWorkerIsPrunedAfterThePruneWindow() {
    List<Member> pool =
        List.of(member("a", START), member("b", START.plus(Duration.ofMinutes(29))));
    Instant justBefore = START.plus(Duration.ofMinutes(30)).minusMillis(1);
    assertThat(policy.evaluate(pool, justBefore, startedAt).prune()).isEmpty();
    PhasePolicy.Verdict verdict =
        policy.evaluate(pool, START.plus(Duration.ofMinutes(30)), startedAt);
    assertThat(verdict.prune()).containsExactly("a");
    assertThat(verdict.phases()).containsEntry("a", WorkerPhase.Offline);
    assertThat(verdict.phases()).containsEntry("b", WorkerPhase.Healthy);
  }

  @Test
  void pruningPausesWhileMoreThan55PercentOfAPoolOfTenAreStale() {
    Instant now = START.plus(Duration.ofHours(1));
    List<Member> pool = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      pool.add(member("stale-" + i, START));
    }
    for (int i = 0; i < 4; i++) {
      pool.add(member("fresh-" + i, now));
    }
    PhasePolicy.Verdict verdict = policy.evaluate(pool, now, startedAt);
    assertThat(verdict.prunePaused()).isTrue();
    assertThat(verdict.prune()).isEmpty();
    assertThat(verdict.stale()).isEqualTo(6);
    // They stay Offline and unroutable while pruning waits.
    assertThat(verdict.phases()).containsEntry("stale-0", WorkerPhase.Offline);
  }

  @Test
  void pruningGoesOnAtExactly55PercentOrInSmallPools() {
    Instant now = START.plus(Duration.ofHours(1));
    List<Member> twenty = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      twenty.add(member("stale-" + i, START));
    }
    for (int i = 0; i < 9; i++) {
      twenty.add(member("fresh-" + i, now));
    }
    assertThat(policy.evaluate(twenty, now, startedAt).prune()).hasSize(11);

    List<Member> small = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      small.add(member("stale-" + i, START));
    }
    PhasePolicy.Verdict verdict = policy.evaluate(small, now, startedAt);
    assertThat(verdict.prunePaused()).isFalse();
    assertThat(verdict.prune()).hasSize(9);
  }

  @Test
  void aRestartedCoordinatorJudgesNobodyStaleForOneGracePeriod() {
    Instant restart = START.plus(Duration.ofHours(2));
    // Last seen two hours ago (the coordinator was down), Healthy when it went down.
    Member m = member("a", START);
    List<Member> pool = List.of(m);
    Instant inGrace = restart.plus(settings.grace()).minusMillis(1);
    assertThat(policy.phase(m, inGrace, restart)).isEqualTo(WorkerPhase.Healthy);
    assertThat(policy.evaluate(pool, inGrace, restart).prune()).isEmpty();

    Instant afterGrace = restart.plus(settings.grace());
    assertThat(policy.phase(m, afterGrace, restart)).isEqualTo(WorkerPhase.Offline);
    assertThat(policy.evaluate(pool, afterGrace, restart).prune()).containsExactly("a");
  }

  @Test
  void aWorkerAlreadyOfflineStaysOfflineDuringTheGrace() {
    Instant restart = START.plus(Duration.ofHours(2));
    Member m = new Member("a", START, false, false, WorkerPhase.Offline);
    assertThat(policy.phase(m, restart.plusSeconds(1), restart)).isEqualTo(WorkerPhase.Offline);
  }

  @Test
  void theNextChangeIsWhenTheEarliestWorkerGoesStaleOrIsPruned() {
    Instant now = START.plusSeconds(10);
    List<Member> pool =
        List.of(
            member("a", START),
            new Member(
                "b", START.minus(Duration.ofMinutes(20)), false, false, WorkerPhase.Offline));
    assertThat(policy.evaluate(pool, now, startedAt).nextChange())
        .contains(START.plus(settings.offlineAfter()));
    List<Member> onlyOffline = List.of(pool.get(1));
    assertThat(policy.evaluate(onlyOffline, now, startedAt).nextChange())
        .contains(START.minus(Duration.ofMinutes(20)).plus(settings.pruneAfter()));
  }
}
