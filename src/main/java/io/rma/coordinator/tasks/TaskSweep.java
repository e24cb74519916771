package io.rma.coordinator.tasks;

import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.Pool;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The time-driven rules of the dispatcher, on a schedule: leases of workers that went Offline and
 * leases that ran out go back to the queue, tasks nobody took fail, finished tasks past their
 * retention are forgotten, and waiting polls of workers no longer Healthy are turned away.
 */
final class TaskSweep implements AutoCloseable {
  private static final Logger LOG = System.getLogger(TaskSweep.class.getName());

  private final Pool pool;
  private final ReentrantLock lock;
  private final TaskQueue queue;
  private final TaskJournal journal;
  private final WaitingPolls polls;
  private final TaskFutures futures;
  private final CompletionTally tally;
  private final Consumer<Task> offer;
  private ScheduledExecutorService sweeper;

  TaskSweep(
      Pool pool,
      ReentrantLock lock,
      TaskQueue queue,
      TaskJournal journal,
      WaitingPolls polls,
      TaskFutures futures,
      CompletionTally tally,
      Consumer<Task> offer) {
    this.pool = pool;
    this.lock = lock;
    this.queue = queue;
    this.journal = journal;
    this.polls = polls;
    this.futures = futures;
    this.tally = tally;
    this.offer = offer;
  }

  PullDispatcher.Sweep run() {
    Set<String> holders;
    Set<String> polling;
    lock.lock();
    try {
      holders = queue.leaseHolders();
      polling = polls.workers();
    } finally {
      lock.unlock();
    }
    // The pool is read outside the lock: it is the store's memory and the heartbeat map.
    // A holder keeps its lease unless it is Offline or gone; a waiting poll is turned away as
    // soon as its worker is anything but Healthy.
    Map<String, WorkerPhase> phases = new HashMap<>();
    for (String w : holders) {
      phases.put(w, PullWorkers.phaseOf(pool, w));
    }
    for (String w : polling) {
      phases.computeIfAbsent(w, worker -> PullWorkers.phaseOf(pool, worker));
    }
    Set<String> gone =
        holders.stream()
            .filter(w -> phases.get(w) == WorkerPhase.Offline)
            .collect(Collectors.toSet());
    Set<String> turnedAway =
        polling.stream()
            .filter(w -> phases.get(w) != WorkerPhase.Healthy)
            .collect(Collectors.toSet());
    TaskQueue.Swept swept;
    int requeued = 0;
    int failed = 0;
    lock.lock();
    try {
      // First turn away polls that may no longer take work, so nothing below is handed to them.
      polls.turnAway(turnedAway);
      swept = queue.sweep(gone::contains);
      for (Task t : swept.changed()) {
        journal.save(t);
        if (t.state() == TaskState.QUEUED) {
          requeued++;
          offer.accept(t);
        } else {
          failed++;
        }
      }
      swept.removed().forEach(journal::delete);
      Instant purge = queue.purgeDue();
      if (purge != null) {
        journal.purge(purge);
      }
    } finally {
      lock.unlock();
    }
    futures.announce(swept.changed());
    tally.retain(
        pool.store().list().stream()
            .map(w -> w.getMetadata().getName())
            .collect(Collectors.toSet()));
    if (requeued + failed > 0) {
      LOG.log(Level.INFO, "task sweep: " + requeued + " back in the queue, " + failed + " failed");
    }
    return new PullDispatcher.Sweep(requeued, failed, swept.removed().size());
  }

  /** Runs {@link #run} every {@code period} on a daemon thread. */
  synchronized void start(Duration period) {
    sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("rma-task-sweep").daemon().unstarted(r));
    sweeper.scheduleWithFixedDelay(
        () -> {
          try {
            run();
          } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "task sweep failed: " + e.getMessage(), e);
          }
        },
        period.toMillis(),
        period.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void close() {
    if (sweeper != null) {
      sweeper.shutdownNow();
    }
  }
}
