package io.rma.coordinator.pool;

import java.time.Duration;
import java.time.Instant;

/**
 * Whether pruning may go on, pool-wide; fed once per loop pass with that pass's stale count.
 *
 * <ul>
 *   <li>{@link State#OPEN}: workers silent past the prune window are removed;
 *   <li>{@link State#PAUSED}: the pool looks mass-stale ({@link PhasePolicy#massStale}), so the
 *       coordinator's own network is the likelier fault: nobody is removed;
 *   <li>{@link State#SETTLING}: the pause has just lifted. A healed partition brings its workers
 *       back one heartbeat at a time, and the first few returning drop the stale share under the
 *       threshold while the rest are still on their way: judged at once, most of them would be
 *       pruned within one heartbeat of the heal. So nobody is removed for one more offline window
 *       (three heartbeat intervals by default; every live worker beats within one), and a worker
 *       back in that window is simply Healthy again. Mass staleness in the window pauses again.
 * </ul>
 *
 * Every change is told to the {@link LifecycleLog} (log line, Kubernetes Event, metrics).
 */
public final class PruneGate {
  public enum State {
    OPEN,
    PAUSED,
    SETTLING
  }

  private final Duration settle;
  private final LifecycleLog log;
  private State state = State.OPEN;
  private Instant pausedSince;
  private Instant resumesAt;

  /**
   * @param settle how long pruning stays off after a pause lifts (the offline window)
   */
  public PruneGate(Duration settle, LifecycleLog log) {
    this.settle = settle;
    this.log = log;
  }

  /**
   * Takes one pass's judgement of the pool and answers whether this pass may prune.
   *
   * @param massStale whether the pool is mass-stale now
   */
  public synchronized boolean observe(int size, int stale, boolean massStale, Instant now) {
    switch (state) {
      case OPEN -> {
        if (massStale) {
          pause(size, stale, now);
        }
      }
      case PAUSED -> {
        if (!massStale) {
          state = State.SETTLING;
          resumesAt = now.plus(settle);
          log.pauseEnded(stale, size, pausedSince, now, resumesAt);
        }
      }
      case SETTLING -> {
        if (massStale) {
          pause(size, stale, now);
        } else if (!now.isBefore(resumesAt)) {
          state = State.OPEN;
          log.pruningResumed(stale, size, now);
        }
      }
    }
    return state == State.OPEN;
  }

  private void pause(int size, int stale, Instant now) {
    state = State.PAUSED;
    pausedSince = now;
    log.pauseBegan(stale, size, now);
  }

  public synchronized State state() {
    return state;
  }

  /** While settling, when pruning resumes (if the pool stays healthy); else null. */
  public synchronized Instant resumesAt() {
    return state == State.SETTLING ? resumesAt : null;
  }
}
