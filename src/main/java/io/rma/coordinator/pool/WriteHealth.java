package io.rma.coordinator.pool;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether writes to one table of the database file go through, and why not: readiness and {@code
 * /api/admin/health} read it. Failures are logged once when they start, then at most once a minute
 * with a count, and once when writes go through again, so a full disk does not flood the log.
 *
 * <p>While writes fail, {@link #probeIfDue} lets the owner try a small write of its own now and
 * then: a replica that is not ready gets no traffic, so without it readiness would never come back.
 */
public final class WriteHealth {
  private static final Logger LOG = System.getLogger(WriteHealth.class.getName());
  private static final Duration PROBE_EVERY = Duration.ofSeconds(1);
  private static final Duration LOG_EVERY = Duration.ofMinutes(1);

  private final String what;
  private final AtomicBoolean probing = new AtomicBoolean();
  private Failing failing;
  private long lastProbe;
  private long lastLog;

  private record Failing(String reason, Instant since, long failures) {}

  /**
   * @param what what is written, for messages ("the workers table")
   */
  public WriteHealth(String what) {
    this.what = what;
  }

  public synchronized void succeeded() {
    if (failing != null) {
      LOG.log(
          Level.INFO,
          "writes to "
              + what
              + " go through again, after "
              + failing.failures()
              + " failed since "
              + failing.since());
      failing = null;
    }
  }

  public synchronized void failed(Exception e) {
    long now = System.nanoTime();
    String reason = String.valueOf(e.getMessage());
    if (failing == null) {
      failing = new Failing(reason, Instant.now(), 1);
      lastLog = now;
      LOG.log(
          Level.ERROR,
          "cannot write to " + what + ": " + reason + "; not ready until a write goes through");
      return;
    }
    failing = new Failing(reason, failing.since(), failing.failures() + 1);
    if (now - lastLog >= LOG_EVERY.toNanos()) {
      lastLog = now;
      LOG.log(
          Level.ERROR,
          "still cannot write to "
              + what
              + ": "
              + failing.failures()
              + " writes failed since "
              + failing.since()
              + ", the last with: "
              + reason);
    }
  }

  public synchronized boolean ok() {
    return failing == null;
  }

  /** Why writes fail, while they do. */
  public synchronized Optional<String> problem() {
    return failing == null
        ? Optional.empty()
        : Optional.of(
            "writes to "
                + what
                + " fail since "
                + failing.since()
                + " ("
                + failing.failures()
                + (failing.failures() == 1 ? " failure" : " failures")
                + "), the last with: "
                + failing.reason());
  }

  /**
   * While writes fail, runs {@code probe} (a small write that reports to this object) on a virtual
   * thread, at most once a second and never two at once; the caller does not wait for it.
   */
  public void probeIfDue(Runnable probe) {
    synchronized (this) {
      long now = System.nanoTime();
      if (failing == null || now - lastProbe < PROBE_EVERY.toNanos()) {
        return;
      }
      lastProbe = now;
    }
    if (probing.compareAndSet(false, true)) {
      Thread.ofVirtual()
          .name("rma-store-probe")
          .start(
              () -> {
                try {
                  probe.run();
                } catch (RuntimeException e) {
                  // The probe reported its failure already.
                } finally {
                  probing.set(false);
                }
              });
    }
  }
}
