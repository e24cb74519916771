package io.rma.coordinator.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.WorkerMode;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.CompletedTasks;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.StoreException;
import io.rma.coordinator.pool.WorkerView;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

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
 * <p>One lock guards the queue ({@link TaskQueue}) and the waiting polls. A waiting poll is a
 * virtual thread parked on a {@link Condition}: it holds no platform thread. A new or returned task
 * is leased to the longest-waiting poll of its service under the same lock, so a wake-up can never
 * be lost to a race.
 */
public final class PullDispatcher implements AutoCloseable {
  private static final Logger LOG = System.getLogger(PullDispatcher.class.getName());

  private final TaskSettings settings;
  private final Pool pool;
  private final TaskJournal journal;
  private final TaskQueue queue;
  private final CompletionTally tally = new CompletionTally();
  private final ReentrantLock lock = new ReentrantLock();

  /** Waiting polls, by service, longest waiting first. */
  private final Map<String, LinkedHashSet<Waiter>> waiting = new HashMap<>();

  private final Set<Waiter> waiters = new LinkedHashSet<>();
  private final Map<String, CompletableFuture<Task>> finishing = new HashMap<>();
  private ScheduledExecutorService sweeper;
  private volatile boolean closed;

  /** What one sweep did. */
  public record Sweep(int requeued, int failed, int forgotten) {}

  /** A poll parked until a task is handed to it, its worker is gone, or its time is up. */
  private static final class Waiter {
    final String worker;
    final Collection<String> services;
    final Collection<String> models;
    final Condition signal;
    Task handed;
    boolean kicked;

    Waiter(String worker, Collection<String> services, Collection<String> models, Condition c) {
      this.worker = worker;
      this.services = services;
      this.models = models;
      this.signal = c;
    }
  }

  /**
   * @param repository the database file, or null to keep tasks in memory only
   */
  public PullDispatcher(TaskSettings settings, Pool pool, SqliteTaskRepository repository) {
    this.settings = settings;
    this.pool = pool;
    this.journal = repository == null ? TaskJournal.memory() : TaskJournal.sqlite(repository);
    this.queue = new TaskQueue(settings, pool.clock());
    List<Task> restored = journal.load();
    if (!restored.isEmpty()) {
      queue.restore(restored);
      LOG.log(Level.INFO, "restored tasks from the database file: " + queue.counts());
    }
  }

  /** Whether a worker takes its work by polling: registered with {@code "mode": "pull"}. */
  public static boolean pulls(RMAWorkerSpec spec) {
    return spec != null && spec.getMode() == WorkerMode.pull;
  }

  /**
   * Whether a Healthy pull worker runs {@code service} (and serves {@code model}, when not null):
   * the router's test before it queues a task rather than answering 503.
   */
  public boolean hasPullWorkers(String service, String model) {
    for (WorkerView v : pool.workers()) {
      if (v.phase() == WorkerPhase.Healthy
          && pulls(v.worker().getSpec())
          && v.services().contains(service)
          && (model == null || servesModel(v.worker().getSpec(), model))) {
        return true;
      }
    }
    return false;
  }

  private static boolean servesModel(RMAWorkerSpec spec, String model) {
    return spec.getModels() == null
        || spec.getModels().isEmpty()
        || spec.getModels().contains(model);
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
    JsonNode model = request == null ? null : request.get("model");
    return model != null && model.isTextual() && !model.asText().isBlank() ? model.asText() : null;
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
    String digest = key == null ? null : digest(service, route, model, request);
    long size = sizeOf(request);
    TaskQueue.Submitted s;
    CompletableFuture<Void> durable;
    lock.lock();
    try {
      s = queue.submit(service, route, model, request, key, digest, size);
      queue.drainForgotten().forEach(journal::delete);
      if (s.created()) {
        durable = journal.insert(s.task());
        offer(s.task());
      } else {
        // Another call created it; answer only once that one is on disk too.
        durable = journal.barrier();
      }
    } finally {
      lock.unlock();
    }
    try {
      durable.join();
    } catch (CompletionException e) {
      StoreException failure = storeFailure(e);
      if (s.created()) {
        CompletableFuture<Task> waiting;
        lock.lock();
        try {
          queue.discard(s.task().id());
          waiting = finishing.remove(s.task().id());
        } finally {
          lock.unlock();
        }
        if (waiting != null) {
          waiting.completeExceptionally(failure);
        }
      }
      throw failure;
    }
    return s.task();
  }

  /** The task an idempotency key names, if it is still held. */
  public Optional<Task> byIdempotencyKey(String key) {
    lock.lock();
    try {
      return queue.byKey(key);
    } finally {
      lock.unlock();
    }
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
      Optional<Task> t = queue.get(taskId);
      if (t.isEmpty()) {
        return CompletableFuture.failedFuture(
            new TaskRejection(TaskRejection.Kind.NOT_FOUND, "no task " + taskId));
      }
      if (t.get().state().finished()) {
        return CompletableFuture.completedFuture(new TaskOutcome(t.get()));
      }
      f = finishing.computeIfAbsent(taskId, id -> new CompletableFuture<>());
    } finally {
      lock.unlock();
    }
    // thenApply makes a new future per caller: its timeout does not touch the shared one.
    return f.thenApply(TaskOutcome::new).orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  public Optional<Task> task(String taskId) {
    lock.lock();
    try {
      return queue.get(taskId);
    } finally {
      lock.unlock();
    }
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
    if (max < 1) {
      throw new IllegalArgumentException("a poll takes at least one task");
    }
    List<Task> got = new ArrayList<>();
    lock.lock();
    try {
      got.addAll(queue.lease(worker, services, models, max));
      if (got.isEmpty() && !wait.isZero() && !wait.isNegative() && !closed) {
        Waiter w =
            new Waiter(worker, List.copyOf(services), List.copyOf(models), lock.newCondition());
        park(w);
        try {
          long remaining = wait.toNanos();
          while (w.handed == null && !w.kicked && !closed && remaining > 0) {
            remaining = w.signal.awaitNanos(remaining);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          unpark(w);
        }
        if (w.handed != null) {
          // offer() journaled the hand-over; the rest are leased here.
          if (max > 1) {
            got.addAll(queue.lease(worker, services, models, max - 1));
          }
          got.forEach(journal::save);
          got.addFirst(w.handed);
          return got;
        }
      }
      got.forEach(journal::save);
    } finally {
      lock.unlock();
    }
    return got;
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
    long size = sizeOf(result);
    Task done;
    CompletableFuture<Void> durable;
    lock.lock();
    try {
      done = queue.complete(taskId, worker, attempt, result, statusCode, size);
      durable = journal.save(done);
    } finally {
      lock.unlock();
    }
    join(durable);
    tally.record(worker);
    announce(List.of(done));
    return done;
  }

  /**
   * The lease holder reports an error: the task goes back to the queue for another attempt, or
   * fails when attempts ran out or {@code retryable} is false.
   */
  public Task fail(String taskId, String worker, Integer attempt, String error, boolean retryable) {
    Task next;
    CompletableFuture<Void> durable;
    lock.lock();
    try {
      next = queue.fail(taskId, worker, attempt, error, retryable);
      durable = journal.save(next);
      if (next.state() == TaskState.QUEUED) {
        offer(next);
      }
    } finally {
      lock.unlock();
    }
    join(durable);
    announce(List.of(next));
    return next;
  }

  /** The lease holder keeps the task for {@code by} more from now (at most the maximum lease). */
  public Task extend(String taskId, String worker, Integer attempt, Duration by) {
    if (by.isNegative() || by.isZero() || by.compareTo(settings.maxLease()) > 0) {
      throw new IllegalArgumentException(
          "a lease extension must be more than 0s and at most "
              + settings.maxLease().toSeconds()
              + "s");
    }
    Task next;
    CompletableFuture<Void> durable;
    lock.lock();
    try {
      next = queue.extend(taskId, worker, attempt, by);
      durable = journal.save(next);
    } finally {
      lock.unlock();
    }
    join(durable);
    return next;
  }

  /**
   * Puts tasks a poll leased back in the queue without counting the attempt: the answer carrying
   * them could not be sent.
   */
  public void release(String worker, Collection<Task> leased) {
    if (leased.isEmpty()) {
      return;
    }
    lock.lock();
    try {
      for (Task t : queue.release(worker, leased)) {
        journal.save(t);
        offer(t);
      }
    } finally {
      lock.unlock();
    }
  }

  // ---- time-driven rules -------------------------------------------------------------------

  /**
   * Takes back leases whose holder went Offline (or was removed) and leases that ran out, fails
   * tasks nobody took within the queue timeout, forgets finished tasks past their retention, and
   * turns away waiting polls of workers that are no longer Healthy. Runs on a schedule ({@link
   * #start}); tests call it with a moved clock.
   */
  public Sweep sweep() {
    Set<String> holders;
    Set<String> polling = new LinkedHashSet<>();
    lock.lock();
    try {
      holders = queue.leaseHolders();
      waiters.forEach(w -> polling.add(w.worker));
    } finally {
      lock.unlock();
    }
    // The pool is read outside the lock: it is the store's memory and the heartbeat map.
    // A holder keeps its lease unless it is Offline or gone; a waiting poll is turned away as
    // soon as its worker is anything but Healthy.
    Map<String, WorkerPhase> phases = new HashMap<>();
    for (String w : holders) {
      phases.put(w, phaseOf(w));
    }
    for (String w : polling) {
      phases.computeIfAbsent(w, this::phaseOf);
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
      for (Waiter w : List.copyOf(waiters)) {
        if (!w.services.isEmpty() && turnedAway.contains(w.worker)) {
          w.kicked = true;
          unpark(w);
          w.signal.signal();
        }
      }
      swept = queue.sweep(gone::contains);
      for (Task t : swept.changed()) {
        journal.save(t);
        if (t.state() == TaskState.QUEUED) {
          requeued++;
          offer(t);
        } else {
          failed++;
        }
      }
      swept.removed().forEach(journal::delete);
    } finally {
      lock.unlock();
    }
    announce(swept.changed());
    tally.retain(
        pool.store().list().stream()
            .map(w -> w.getMetadata().getName())
            .collect(Collectors.toSet()));
    if (requeued + failed > 0) {
      LOG.log(Level.INFO, "task sweep: " + requeued + " back in the queue, " + failed + " failed");
    }
    return new Sweep(requeued, failed, swept.removed().size());
  }

  /** The worker's phase now; Offline when it is no longer registered. */
  private WorkerPhase phaseOf(String worker) {
    return pool.worker(worker).map(WorkerView::phase).orElse(WorkerPhase.Offline);
  }

  /** Runs {@link #sweep} every {@code period} on a daemon thread. */
  public synchronized void start(Duration period) {
    sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("rma-task-sweep").daemon().unstarted(r));
    sweeper.scheduleWithFixedDelay(
        () -> {
          try {
            sweep();
          } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "task sweep failed: " + e.getMessage(), e);
          }
        },
        period.toMillis(),
        period.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  // ---- observation ---------------------------------------------------------------------------

  /** Polls waiting now (tests wait for this before they queue a task). */
  public int waitingPolls() {
    lock.lock();
    try {
      return waiters.size();
    } finally {
      lock.unlock();
    }
  }

  /** Counts for operators: tasks by state, queued per service, waiting polls, journal commits. */
  public Map<String, Object> stats() {
    Map<String, Object> out = new LinkedHashMap<>();
    lock.lock();
    try {
      queue.counts().forEach((state, n) -> out.put(state.wire(), n));
      out.put("queued_by_service", queue.queuedByService());
      out.put("waiting_polls", waiters.size());
      out.put("held_bytes", queue.heldBytes());
    } finally {
      lock.unlock();
    }
    out.put("durable", journal.durable());
    out.put("journal_commits", journal.commits());
    out.put("journal_rows_written", journal.written());
    return out;
  }

  public boolean ready() {
    return journal.ready();
  }

  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      if (sweeper != null) {
        sweeper.shutdownNow();
      }
    }
    lock.lock();
    try {
      waiters.forEach(w -> w.signal.signal());
    } finally {
      lock.unlock();
    }
    journal.close();
  }

  // ---- under the lock ------------------------------------------------------------------------

  /** Hands a queued task to the longest-waiting poll that can take it, if any. */
  private void offer(Task queued) {
    LinkedHashSet<Waiter> candidates = waiting.get(queued.service());
    if (candidates == null) {
      return;
    }
    for (Waiter w : candidates) {
      if (!w.kicked && w.handed == null && TaskQueue.serves(w.models, queued)) {
        Task leased = queue.leaseOne(queued, w.worker);
        journal.save(leased);
        w.handed = leased;
        unpark(w);
        w.signal.signal();
        return;
      }
    }
  }

  private void park(Waiter w) {
    waiters.add(w);
    for (String s : w.services) {
      waiting.computeIfAbsent(s, k -> new LinkedHashSet<>()).add(w);
    }
  }

  private void unpark(Waiter w) {
    waiters.remove(w);
    for (String s : w.services) {
      LinkedHashSet<Waiter> set = waiting.get(s);
      if (set != null) {
        set.remove(w);
        if (set.isEmpty()) {
          waiting.remove(s);
        }
      }
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Completes the futures of tasks that finished. Called outside the lock. */
  private void announce(List<Task> changed) {
    List<Map.Entry<CompletableFuture<Task>, Task>> due = new ArrayList<>();
    lock.lock();
    try {
      for (Task t : changed) {
        if (t.state().finished()) {
          CompletableFuture<Task> f = finishing.remove(t.id());
          if (f != null) {
            due.add(Map.entry(f, t));
          }
        }
      }
    } finally {
      lock.unlock();
    }
    due.forEach(e -> e.getKey().complete(e.getValue()));
  }

  private static void join(CompletableFuture<Void> durable) {
    try {
      durable.join();
    } catch (CompletionException e) {
      throw storeFailure(e);
    }
  }

  private static StoreException storeFailure(CompletionException e) {
    return e.getCause() instanceof StoreException s
        ? s
        : new StoreException("cannot save the task: " + e.getMessage(), e);
  }

  /** About the memory a JSON value takes: its length as text. */
  static long sizeOf(JsonNode node) {
    return node == null ? 0 : String.valueOf(node).length();
  }

  static String digest(String service, String route, String model, JsonNode request) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update((service + "\n" + route + "\n" + model + "\n").getBytes(StandardCharsets.UTF_8));
      sha.update(String.valueOf(request).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
