package io.rma.coordinator.pool;

import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Phase transitions and pruning, judged by the coordinator's own clock.
 *
 * <ul>
 *   <li>silent for {@code offlineAfter}: Offline (no work); a heartbeat makes it Healthy again;
 *   <li>silent for {@code pruneAfter}: removed, unless more than {@code massStaleFraction} of a
 *       pool of at least {@code massStaleMinPool} are stale: then the coordinator's own network is
 *       the likelier fault and pruning pauses (the workers stay Offline);
 *   <li>until {@code grace} has passed since the coordinator started (or took over), nobody becomes
 *       stale and nobody is pruned: workers get one chance to beat first.
 * </ul>
 */
public final class PhasePolicy {
  private final HealthSettings settings;

  public PhasePolicy(HealthSettings settings) {
    this.settings = settings;
  }

  /**
   * What the policy knows of one worker.
   *
   * @param lastSeen last heartbeat (or registration) by the coordinator's clock
   * @param reportedDegraded the worker's own last word on its health
   * @param drain an operator asked it to drain
   * @param previous the phase last recorded, null for a new worker
   */
  public record Member(
      String name,
      Instant lastSeen,
      boolean reportedDegraded,
      boolean drain,
      WorkerPhase previous) {}

  /** The phase of every member, who is to be pruned, and when the next time-based change is due. */
  public record Verdict(
      Map<String, WorkerPhase> phases,
      List<String> prune,
      boolean prunePaused,
      int stale,
      Optional<Instant> nextChange) {}

  public WorkerPhase phase(Member m, Instant now, Instant startedAt) {
    if (stale(m, now, startedAt)) {
      return WorkerPhase.Offline;
    }
    if (m.drain()) {
      return WorkerPhase.Draining;
    }
    return m.reportedDegraded() ? WorkerPhase.Degraded : WorkerPhase.Healthy;
  }

  /** Judges a whole pool at {@code now}; {@code startedAt} is when this coordinator took charge. */
  public Verdict evaluate(List<Member> pool, Instant now, Instant startedAt) {
    Map<String, WorkerPhase> phases = new LinkedHashMap<>();
    int stale = 0;
    for (Member m : pool) {
      WorkerPhase p = phase(m, now, startedAt);
      phases.put(m.name(), p);
      if (p == WorkerPhase.Offline) {
        stale++;
      }
    }
    boolean paused = massStale(pool.size(), stale);
    List<String> prune =
        paused
            ? List.of()
            : pool.stream().filter(m -> prunable(m, now, startedAt)).map(Member::name).toList();
    return new Verdict(phases, prune, paused, stale, nextChange(pool, phases, now, startedAt));
  }

  /**
   * Whether {@code stale} workers out of {@code size} look like the coordinator's own fault (more
   * than {@code massStaleFraction} of a pool of at least {@code massStaleMinPool}): pruning pauses.
   */
  public boolean massStale(int size, int stale) {
    return size >= settings.massStaleMinPool() && stale > settings.massStaleFraction() * size;
  }

  /**
   * Whether one worker is past the prune window and may go, as far as it alone is concerned (the
   * pool-wide pause is {@link PruneGate}'s): never during the grace period.
   */
  public boolean prunable(Member m, Instant now, Instant startedAt) {
    return !inGrace(now, startedAt) && !m.lastSeen().plus(settings.pruneAfter()).isAfter(now);
  }

  private boolean stale(Member m, Instant now, Instant startedAt) {
    boolean silent = !m.lastSeen().plus(settings.offlineAfter()).isAfter(now);
    // During the grace period only a worker that was already Offline stays Offline.
    return silent && (!inGrace(now, startedAt) || m.previous() == WorkerPhase.Offline);
  }

  /** Within the grace period after a start or takeover: nobody is judged stale or pruned. */
  public boolean inGrace(Instant now, Instant startedAt) {
    return now.isBefore(startedAt.plus(settings.grace()));
  }

  private Optional<Instant> nextChange(
      List<Member> pool, Map<String, WorkerPhase> phases, Instant now, Instant startedAt) {
    Instant next = null;
    for (Member m : pool) {
      Instant at = nextChange(m, phases.get(m.name()), now, startedAt).orElse(null);
      if (at != null && (next == null || at.isBefore(next))) {
        next = at;
      }
    }
    return Optional.ofNullable(next);
  }

  /**
   * When the phase or the prune decision of one member changes next with no heartbeat in between:
   * the end of the grace period, going Offline, or reaching the prune window. Empty when nothing is
   * due (e.g. it is already past the prune window and pruning is paused).
   */
  public Optional<Instant> nextChange(Member m, WorkerPhase phase, Instant now, Instant startedAt) {
    Instant next = inGrace(now, startedAt) ? startedAt.plus(settings.grace()) : null;
    Instant at =
        phase == WorkerPhase.Offline
            ? m.lastSeen().plus(settings.pruneAfter())
            : m.lastSeen().plus(settings.offlineAfter());
    if (at.isAfter(now) && (next == null || at.isBefore(next))) {
      next = at;
    }
    return Optional.ofNullable(next);
  }
}
