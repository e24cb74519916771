package io.rma.coordinator.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.pool.CompletedTasks;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.StoreException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The task queue as the rest of the coordinator uses it: thread-safe, durable (with a database
 * file), with long polls that are handed a task the moment one arrives, and futures that complete
 * when a task finishes.
 *
 * <p>The seam for inference routing: when a service's candidate is a pull worker, {@link
 * #submit(String, String, JsonNode, Optional)} queues the request and {@link #await(String,
 * Duration)} waits for the outcome. {@link #hasPullWorkers(String, String)} says whether anyone
 * would take it.
 *
 * <p>One lock guards the queue ({@link TaskQueue}), the waiting polls ({@link WaitingPolls}) and
 * the futures of waiting callers ({@link TaskFutures}). A waiting poll is a virtual thread parked
 * on a {@link Condition}: it holds no platform thread. A new or returned task is leased to the
 * longest-waiting poll of its service under the same lock, so a wake-up can never be lost to a
 * race. The time-driven rules run in {@link TaskSweep}.
 */
public final class PullDispatcher implements AutoCloseable {
  private static final Logger LOG = System.getLogger(PullDispatcher.class.getName());

  private final TaskSettings settings;
  private final Pool pool;
  private final TaskJournal journal;
  private final TaskQueue queue;
  private final CompletionTally tally = new CompletionTally();
  private final ReentrantLock lock = new ReentrantLock();
  private final WaitingPolls polls = new WaitingPolls(lock);
  private final TaskFutures futures;
  private final FinishedOnDisk onDisk;
  private final TaskLeases leases;
  private final TaskSweep sweep;

  /** New tasks whose insert is not yet on disk: a duplicate submission waits for the same write. */
  private final Map<String, CompletableFuture<Void>> inserting = new HashMap<>();

  private volatile boolean closed;

  /** What one sweep did. */
  public record Sweep(int requeued, int failed, int forgotten) {}

  /**
   * @param repository the database file, or null to keep tasks in memory only
   */
  public PullDispatcher(TaskSettings settings, Pool pool, SqliteTaskRepository repository) {
    this(settings, pool, repository, TaskEvents.NONE);
  }

  /**
   * @param repository the database file, or null to keep tasks in memory only
   * @param events told of outcomes and early evictions (metrics)
   */
  public PullDispatcher(
      TaskSettings settings, Pool pool, SqliteTaskRepository repository, TaskEvents events) {
    this.settings = settings;
    this.pool = pool;
    this.journal = repository == null ? TaskJournal.memory() : TaskJournal.sqlite(repository);
    this.queue = new TaskQueue(settings, pool.clock(), journal.durable(), events);
    this.futures = new TaskFutures(lock, events);
    this.onDisk = new FinishedOnDisk(lock, queue, journal, settings, pool.clock());
    this.leases = new TaskLeases(settings, lock, queue, journal, polls, futures, tally, onDisk);
    this.sweep = new TaskSweep(pool, lock, queue, journal, polls, futures, tally, leases::offer);
    Instant cutoff = pool.clock().instant().minus(settings.retention());
    TaskJournal.Loaded loaded = journal.load(cutoff, settings.maxBytes());
    if (!loaded.tasks().isEmpty() || loaded.moreUntil() != null) {
      queue.restore(loaded.tasks(), loaded.moreUntil());
      queue.seqAtLeast(loaded.maxSeq() + 1);
      LOG.log(
          Level.INFO,
          "restored tasks from the database file: "
              + queue.counts()
              + (loaded.moreUntil() == null
                  ? ""
                  : "; older finished tasks stay in the file only (RMA_TASK_MEMORY_MIB)"));
    }
    if (journal.durable()) {
      journal.purge(cutoff); // finished past their retention while the coordinator was down
    }
  }

  /** Whether a worker takes its work by polling: registered with {@code "mode": "pull"}. */
  public static boolean pulls(RMAWorkerSpec spec) {
    return PullWorkers.pulls(spec);
  }

  /**
   * Whether a Healthy pull worker runs {@code service} (and serves {@code model}, when not null):
   * the router's test before it queues a task rather than answering 503.
   */
  public boolean hasPullWorkers(String service, String model) {
    return PullWorkers.any(pool, service, model);
  }

  /** The results counter the health loop folds into {@code status.tasksCompleted}. */
  public CompletedTasks completions() {
    return tally;
  }

  public TaskSettings settings() {
    return settings;
  }

  // ---- client side -------------------------------------------------------------------------

  /**
   * Queues a request for the pull workers of {@code service}; the model is read from the request's
   * {@code model} field, if it has one. See {@link #submit(String, String, String, JsonNode,
   * Optional)}.
   */
  public Task submit(
      String service, String route, JsonNode request, Optional<String> idempotencyKey) {
    return submit(service, route, modelOf(request), request, idempotencyKey);
  }

  /** The request's {@code model} field, when it names one. */
  public static String modelOf(JsonNode request) {
    return TaskRequests.modelOf(request);
  }

  /**
   * Queues a request for the pull workers of {@code service}. Returns when the task is durable
   * (with a database file): the caller may acknowledge it.
   *
   * @param route what the worker should call: the worker-side path of the service
   * @param model only workers that serve this model take it (null: any worker of the service)
   * @param request the body the worker should send to {@code route}
   * @param idempotencyKey a key already seen returns its task, whatever state it is in
   * @throws TaskRejection QUEUE_FULL (429) or KEY_REUSED (422)
   * @throws StoreException the task could not be written (503); nothing was acknowledged
   */
  public Task submit(
      String service,
      String route,
      String model,
      JsonNode request,
      Optional<String> idempotencyKey) {
    String key = idempotencyKey.orElse(null);
    String digest = key == null ? null : TaskRequests.digest(service, route, model, request);
    if (key != null) {
      Optional<Task> kept = onDisk.byKey(key);
      if (kept.isPresent()) {
        TaskQueue.sameRequest(key, kept.get(), digest);
        return kept.get();
      }
    }
    long size = TaskRequests.sizeOf(request);
    TaskQueue.Submitted s;
    CompletableFuture<Void> durable;
    lock.lock();
    try {
      s = queue.submit(service, route, model, request, key, digest, size);
      queue.drainForgotten().forEach(journal::delete);
      if (s.created()) {
        durable = journal.insert(s.task());
        inserting.put(s.task().id(), durable);
        leases.offer(s.task());
      } else {
        // Another call created it: answer as that one is answered, once it is on disk.
        durable = inserting.getOrDefault(s.task().id(), CompletableFuture.completedFuture(null));
      }
    } finally {
      lock.unlock();
    }
    try {
      TaskJournal.await(durable);
    } catch (StoreException failure) {
      if (s.created()) {
        CompletableFuture<Task> waiting =
            locked(
                () -> {
                  inserting.remove(s.task().id());
                  queue.withdraw(s.task().id());
                  return futures.remove(s.task().id());
                });
        if (waiting != null) {
          waiting.completeExceptionally(failure);
        }
      }
      throw failure;
    }
    if (s.created()) {
      return locked(
          () -> {
            inserting.remove(s.task().id());
            return s.task();
          });
    }
    return locked(() -> futures.visible(s.task()));
  }

  /** The task an idempotency key names, if it is still held (in memory or in the file). */
  public Optional<Task> byIdempotencyKey(String key) {
    return locked(() -> queue.byKey(key).map(futures::visible)).or(() -> onDisk.byKey(key));
  }

  /**
   * A future that completes with the outcome when the task finishes (at once if it has), or
   * exceptionally with a {@link java.util.concurrent.TimeoutException} after {@code timeout}. The
   * task goes on after a timeout; its result can still be fetched with {@link #task(String)}.
   * Completes exceptionally with a NOT_FOUND {@link TaskRejection} for an unknown task.
   */
  public CompletableFuture<TaskOutcome> await(String taskId, Duration timeout) {
    CompletableFuture<Task> f;
    lock.lock();
    try {
      Optional<Task> t = queue.get(taskId).map(futures::visible);
      if (t.isPresent() && t.get().state().finished()) {
        return CompletableFuture.completedFuture(new TaskOutcome(t.get()));
      }
      f = t.isPresent() ? futures.of(taskId) : null;
    } finally {
      lock.unlock();
    }
    if (f == null) {
      return onDisk
          .byId(taskId)
          .map(done -> CompletableFuture.completedFuture(new TaskOutcome(done)))
          .orElseGet(
              () ->
                  CompletableFuture.failedFuture(
                      new TaskRejection(TaskRejection.Kind.NOT_FOUND, "no task " + taskId)));
    }
    // thenApply makes a new future per caller: its timeout does not touch the shared one.
    return f.thenApply(TaskOutcome::new).orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** The task as it stands (in memory, or finished and kept in the file only). */
  public Optional<Task> task(String taskId) {
    return locked(() -> queue.get(taskId).map(futures::visible)).or(() -> onDisk.byId(taskId));
  }

  /** Tasks waiting in the queue of {@code service} (the queue-depth gauge). */
  public int queued(String service) {
    return locked(() -> queue.queued(service));
  }

  // ---- worker side -------------------------------------------------------------------------

  /**
   * Leases up to {@code max} tasks of {@code services} to {@code worker}, oldest first. With none
   * queued, waits up to {@code wait} for one: the first task that arrives is handed to the poll
   * that has waited longest. Call it from a virtual thread (Helidon's handlers are).
   *
   * @param models models the worker serves; empty = any
   */
  public List<Task> poll(
      String worker,
      Collection<String> services,
      Collection<String> models,
      int max,
      Duration wait) {
    return leases.poll(worker, services, models, max, wait, () -> closed);
  }

  /**
   * Accepts the lease holder's result; returns once it is durable. Counts towards the worker's
   * {@code tasksCompleted}.
   *
   * @param attempt the attempt the worker answers for, or null when it does not say
   * @param statusCode the HTTP status of the worker's own call (200 when it does not say)
   * @throws TaskRejection NOT_FOUND (404) or CONFLICT (409): nothing changed
   */
  public Task complete(
      String taskId, String worker, Integer attempt, JsonNode result, int statusCode) {
    return leases.complete(taskId, worker, attempt, result, statusCode);
  }

  /**
   * The lease holder reports an error: the task goes back to the queue for another attempt, or
   * fails when attempts ran out or {@code retryable} is false.
   */
  public Task fail(String taskId, String worker, Integer attempt, String error, boolean retryable) {
    return leases.fail(taskId, worker, attempt, error, retryable);
  }

  /** The lease holder keeps the task for {@code by} more from now (at most the maximum lease). */
  public Task extend(String taskId, String worker, Integer attempt, Duration by) {
    return leases.extend(taskId, worker, attempt, by);
  }

  /**
   * Puts tasks a poll leased back in the queue without counting the attempt: the answer carrying
   * them could not be sent.
   */
  public void release(String worker, Collection<Task> leased) {
    leases.release(worker, leased);
  }

  // ---- time-driven rules -------------------------------------------------------------------

  /**
   * Takes back leases whose holder went Offline (or was removed) and leases that ran out, fails
   * tasks nobody took within the queue timeout, forgets finished tasks past their retention, and
   * turns away waiting polls of workers that are no longer Healthy. Runs on a schedule ({@link
   * #start}); tests call it with a moved clock.
   */
  public Sweep sweep() {
    return sweep.run();
  }

  /** Runs {@link #sweep} every {@code period} on a daemon thread. */
  public void start(Duration period) {
    sweep.start(period);
  }

  // ---- observation ---------------------------------------------------------------------------

  /** Polls waiting now (tests wait for this before they queue a task). */
  public int waitingPolls() {
    return locked(polls::size);
  }

  /** Counts for operators: tasks by state, queued per service, waiting polls, journal commits. */
  public Map<String, Object> stats() {
    Map<String, Object> out = new LinkedHashMap<>();
    lock.lock();
    try {
      queue.counts().forEach((state, n) -> out.put(state.wire(), n));
      out.put("queued_by_service", queue.queuedByService());
      out.put("waiting_polls", polls.size());
      out.put("held_bytes", queue.heldBytes());
      out.put("memory_budget_bytes", settings.maxBytes());
    } finally {
      lock.unlock();
    }
    out.put("durable", journal.durable());
    out.put("journal_commits", journal.commits());
    out.put("journal_rows_written", journal.written());
    return out;
  }

  /** Whether tasks are kept in a database file (false: memory only). */
  public boolean durable() {
    return journal.durable();
  }

  /** Whether the task journal writes (readiness): always with memory only. */
  public boolean ready() {
    return journal.ready();
  }

  /** Why the task journal does not write now (readiness, the admin API); empty when it does. */
  public Optional<String> problem() {
    return journal.problem();
  }

  @Override
  public void close() {
    closed = true;
    sweep.close();
    locked(
        () -> {
          polls.wakeAll();
          return null;
        });
    journal.close();
  }

  // ---- helpers -------------------------------------------------------------------------------

  private <T> T locked(Supplier<T> body) {
    lock.lock();
    try {
      return body.get();
    } finally {
      lock.unlock();
    }
  }
}
