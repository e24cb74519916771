package io.rma.coordinator.routing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Takes a worker out of rotation after consecutive failures, without waiting for its heartbeats to
 * stop. The first ejection lasts {@code ejectFor}; a worker that fails again right after coming
 * back is ejected for longer each time (2x, 3x, ... up to 8x). One success clears its record.
 */
public final class OutlierEjection {
  private static final int MAX_MULTIPLIER = 8;

  private final Clock clock;
  private final int afterFailures;
  private final Duration ejectFor;
  private final ConcurrentHashMap<String, Record> records = new ConcurrentHashMap<>();
  private final AtomicLong version = new AtomicLong();

  /** The earliest end of a running ejection (null: none runs), for {@link #version}. */
  private volatile Instant nextEnd;

  /**
   * @param failures consecutive failures since the last success
   * @param ejections how many times the worker was ejected since its last success
   * @param until end of the current or last ejection, null if never ejected
   */
  private record Record(int failures, int ejections, Instant until) {}

  public OutlierEjection(Clock clock, int afterFailures, Duration ejectFor) {
    this.clock = clock;
    this.afterFailures = afterFailures;
    this.ejectFor = ejectFor;
  }

  /** True while the worker is out of rotation. */
  public boolean ejected(String worker) {
    Record r = records.get(worker);
    return r != null && r.until() != null && clock.instant().isBefore(r.until());
  }

  public void success(String worker) {
    if (!records.isEmpty() && records.remove(worker) != null) {
      version.incrementAndGet();
    }
  }

  /**
   * A number that changes whenever the set of ejected workers may have changed (an ejection
   * started, ran out, or a record was cleared), so that what was derived from it can be kept while
   * it is unchanged. Cheap: a clock read, and a look at the records only when an ejection runs out.
   */
  public long version() {
    Instant end = nextEnd;
    if (end != null && !clock.instant().isBefore(end)) {
      ejectionRanOut();
    }
    return version.get();
  }

  private synchronized void ejectionRanOut() {
    Instant now = clock.instant();
    Instant end = nextEnd;
    if (end == null || now.isBefore(end)) {
      return; // another thread saw to it
    }
    Instant next = null;
    for (Record r : records.values()) {
      if (r.until() != null
          && now.isBefore(r.until())
          && (next == null || r.until().isBefore(next))) {
        next = r.until();
      }
    }
    nextEnd = next;
    version.incrementAndGet();
  }

  private synchronized void ejectionStarted(Instant until) {
    Instant end = nextEnd;
    if (end == null || until.isBefore(end)) {
      nextEnd = until;
    }
    version.incrementAndGet();
  }

  /**
   * Records a failure.
   *
   * @return the end of the ejection this failure started, if it started one
   */
  public Optional<Instant> failure(String worker) {
    Instant now = clock.instant();
    Instant[] started = new Instant[1];
    records.compute(
        worker,
        (k, old) -> {
          if (old == null) {
            old = new Record(0, 0, null);
          }
          if (old.until() != null && now.isBefore(old.until())) {
            return old; // already out; failures of calls started before do not extend it
          }
          int failures = old.failures() + 1;
          // A worker back from an ejection gets one chance: its next failure ejects it again.
          boolean eject = failures >= afterFailures || old.ejections() > 0;
          if (!eject) {
            return new Record(failures, old.ejections(), old.until());
          }
          int n = Math.min(old.ejections() + 1, MAX_MULTIPLIER);
          started[0] = now.plus(ejectFor.multipliedBy(n));
          return new Record(0, old.ejections() + 1, started[0]);
        });
    if (started[0] != null) {
      ejectionStarted(started[0]);
    }
    return Optional.ofNullable(started[0]);
  }
}
