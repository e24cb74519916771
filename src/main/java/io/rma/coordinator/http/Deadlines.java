package io.rma.coordinator.http;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Deadlines for blocking socket work on virtual threads: a thread that passes its deadline is
 * interrupted, which closes the socket it is blocked on (a virtual thread's socket read or write
 * ends with an exception). One daemon thread checks all deadlines every tick, so a deadline costs
 * no timer of its own: used for request bodies that stop arriving, writes to workers that stop
 * reading, and the lingering close of client connections.
 */
public final class Deadlines implements AutoCloseable {
  private final Set<Deadline> active = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService ticker;

  /** Checks every {@code tickMillis}: a deadline is noticed at most that late. */
  public Deadlines(String name, long tickMillis) {
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name(name).unstarted(r));
    ticker.scheduleAtFixedRate(this::expire, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
  }

  private void expire() {
    long now = System.nanoTime();
    for (Deadline d : active) {
      d.expireIf(now);
    }
  }

  /**
   * The current thread's work must end (or {@link Deadline#extend} be called) within {@code nanos};
   * close the deadline when the work ends, whatever happens.
   */
  Deadline start(long nanos) {
    Deadline d = new Deadline(Thread.currentThread(), nanos);
    active.add(d);
    return d;
  }

  Deadline start(java.time.Duration d) {
    return start(d.toNanos());
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }

  /** One thread's deadline. */
  final class Deadline implements AutoCloseable {
    private final long nanos;
    private Thread thread;
    private volatile long due;
    private boolean fired;

    private Deadline(Thread thread, long nanos) {
      this.thread = thread;
      this.nanos = nanos;
      this.due = System.nanoTime() + nanos;
    }

    /** Progress was made: the deadline moves to {@code nanos} from now. */
    void extend() {
      due = System.nanoTime() + nanos;
    }

    private synchronized void expireIf(long now) {
      if (thread != null && now - due > 0) {
        fired = true;
        thread.interrupt();
        thread = null;
        active.remove(this);
      }
    }

    /**
     * Ends the deadline (called by its own thread); whether it had passed (the thread was
     * interrupted). An interrupt that fired as the work ended is cleared, so it does not hit what
     * the thread does next.
     */
    boolean end() {
      active.remove(this);
      synchronized (this) {
        thread = null;
        if (fired) {
          Thread.interrupted();
        }
        return fired;
      }
    }

    @Override
    public void close() {
      end();
    }
  }
}
