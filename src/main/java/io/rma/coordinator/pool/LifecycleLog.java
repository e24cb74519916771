package io.rma.coordinator.pool;

import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The pool's lifecycle news, told in one place: the mass-staleness pause beginning and ending,
 * pruning resuming, and the phase changes and prunes of each loop pass. Both modes report here (the
 * standalone {@code HealthLoop} per pass, Kubernetes mode per loop interval), and {@link Listener}s
 * get the same news (Kubernetes Events, metrics, and later the dashboard's event ring).
 *
 * <p>Phase changes and prunes are held until {@link #flush()} ends the pass: up to {@link
 * #SUMMARY_OVER} of them are logged one line each, as before; more (a mass transition, such as a
 * partition taking thousands of workers Offline at once) become one summary line with the counts
 * per transition and the first few worker ids, so a mass event does not flood the log. Memory is
 * bounded whatever the number: counts, and the first {@code SUMMARY_OVER + 1} changes.
 */
public final class LifecycleLog {
  private static final Logger LOG = System.getLogger(LifecycleLog.class.getName());

  /** More phase changes and prunes than this in one pass are logged as one summary line. */
  public static final int SUMMARY_OVER = 20;

  /** Worker ids a summary line names. */
  static final int SUMMARY_IDS = 5;

  /**
   * One worker's change in a pass.
   *
   * @param from the phase before (null for a worker seen for the first time)
   * @param to the phase after; null when the worker was pruned
   */
  public record Change(String worker, WorkerPhase from, WorkerPhase to) {
    public boolean pruned() {
      return to == null;
    }

    /** "Healthy->Offline", "new->Healthy", "Offline->pruned". */
    public String transition() {
      return (from == null ? "new" : from.name()) + "->" + (to == null ? "pruned" : to.name());
    }
  }

  /** Gets the pool-wide news as it happens; each method must be quick and must not throw. */
  public interface Listener {
    /** Pruning paused: {@code stale} of {@code size} workers are stale. */
    default void pauseBegan(int stale, int size, Instant at) {}

    /**
     * The pause lifted at {@code at}; nobody is pruned before {@code pruningResumesAt} (one offline
     * window later), so the workers coming back have time to beat.
     */
    default void pauseEnded(
        int stale, int size, Instant began, Instant at, Instant pruningResumesAt) {}

    /** Pruning goes on again (the offline window after a pause has passed). */
    default void pruningResumed(int stale, int size, Instant at) {}

    /** A worker's phase changed, or it was pruned ({@link Change#to()} null), as it happens. */
    default void changed(Change change) {}
  }

  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final List<Change> held = new ArrayList<>();
  private final Map<String, Integer> counts = new TreeMap<>();
  private int total;
  private boolean anyOffline;
  private Duration pruneAfter = Duration.ZERO;

  public void listen(Listener listener) {
    listeners.add(listener);
  }

  /** For the prune lines' wording ("silent for more than 30m"). */
  void pruneAfter(Duration pruneAfter) {
    this.pruneAfter = pruneAfter;
  }

  public void pauseBegan(int stale, int size, Instant at) {
    LOG.log(
        Level.WARNING,
        "pruning paused at "
            + at
            + ": "
            + stale
            + " of "
            + size
            + " workers are stale, the coordinator's own network is the likelier fault; they stay"
            + " Offline and are kept");
    listeners.forEach(l -> l.pauseBegan(stale, size, at));
  }

  public void pauseEnded(int stale, int size, Instant began, Instant at, Instant resumesAt) {
    LOG.log(
        Level.WARNING,
        "pruning pause ended at "
            + at
            + " (began "
            + began
            + "): "
            + stale
            + " of "
            + size
            + " workers still stale; nobody is pruned before "
            + resumesAt
            + " (one offline window), a worker back by then is Healthy again");
    listeners.forEach(l -> l.pauseEnded(stale, size, began, at, resumesAt));
  }

  public void pruningResumed(int stale, int size, Instant at) {
    LOG.log(
        Level.INFO,
        "pruning resumed at "
            + at
            + ": "
            + stale
            + " of "
            + size
            + " workers stale; those silent past the prune window go now");
    listeners.forEach(l -> l.pruningResumed(stale, size, at));
  }

  /** A worker's phase changed (held until {@link #flush()}). */
  public synchronized void changed(String worker, WorkerPhase from, WorkerPhase to) {
    hold(new Change(worker, from, to));
  }

  /** A worker was pruned (held until {@link #flush()}). */
  public synchronized void pruned(String worker, WorkerPhase from) {
    hold(new Change(worker, from, null));
  }

  private void hold(Change c) {
    listeners.forEach(l -> l.changed(c));
    total++;
    counts.merge(c.transition(), 1, Integer::sum);
    anyOffline |= c.to() == WorkerPhase.Offline;
    if (held.size() <= SUMMARY_OVER) {
      held.add(c);
    }
  }

  /**
   * Ends a pass: logs what it changed (one line each, or one summary line for a mass transition)
   * and tells the listeners.
   */
  public void flush() {
    List<Change> changes;
    Map<String, Integer> byTransition;
    int n;
    boolean offline;
    synchronized (this) {
      if (total == 0) {
        return;
      }
      changes = List.copyOf(held);
      byTransition = Map.copyOf(counts);
      n = total;
      offline = anyOffline;
      held.clear();
      counts.clear();
      total = 0;
      anyOffline = false;
    }
    if (n <= SUMMARY_OVER) {
      changes.forEach(this::logOne);
    } else {
      summarise(changes, n, new TreeMap<>(byTransition), offline);
    }
  }

  private void logOne(Change c) {
    if (c.pruned()) {
      LOG.log(Level.INFO, "pruned worker " + c.worker() + ": silent for more than " + pruneAfter);
    } else {
      LOG.log(
          Level.INFO,
          "worker "
              + c.worker()
              + " is "
              + c.to()
              + (c.from() == null ? "" : " (was " + c.from() + ")"));
    }
  }

  /**
   * The one line a mass transition gets (more than {@link #SUMMARY_OVER} changes in one pass):
   * counts per transition and a few ids.
   */
  private void summarise(
      List<Change> changes, int n, Map<String, Integer> byTransition, boolean offline) {
    StringBuilder line = new StringBuilder();
    line.append(n).append(" workers changed in one pass: ");
    String sep = "";
    for (Map.Entry<String, Integer> e : byTransition.entrySet()) {
      line.append(sep).append(e.getKey()).append(' ').append(e.getValue());
      sep = ", ";
    }
    line.append("; e.g. ");
    sep = "";
    for (int i = 0; i < Math.min(SUMMARY_IDS, changes.size()); i++) {
      Change c = changes.get(i);
      line.append(sep).append(c.worker()).append(" (").append(c.transition()).append(')');
      sep = ", ";
    }
    if (byTransition.keySet().stream().anyMatch(t -> t.endsWith("->pruned"))) {
      line.append("; pruned: silent for more than ").append(pruneAfter);
    }
    LOG.log(offline ? Level.WARNING : Level.INFO, line.toString());
  }
}
