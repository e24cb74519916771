package io.rma.coordinator.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The rules of the task queue, with no threads, I/O or HTTP, driven by a {@link Clock}: one queue
 * per service ({@link ServiceQueues}), leases with deadlines, attempts, results taken only from the
 * lease holder of the current attempt, idempotency keys ({@link HeldTasks}) and retention of
 * finished tasks ({@link Retention}).
 *
 * <p>Not thread-safe: {@link PullDispatcher} calls it under one lock. Every method that changes a
 * task returns the new snapshot(s), which the dispatcher journals and announces.
 */
final class TaskQueue {
  /** What a sweep did: tasks changed (back in the queue, or failed) and tasks forgotten. */
  record Swept(List<Task> changed, List<String> removed) {}

  /** The task for a submission, and whether it is new (false: the idempotency key's task). */
  record Submitted(Task task, boolean created) {}

  private final TaskSettings settings;
  private final Clock clock;
  private final HeldTasks tasks = new HeldTasks();
  private final ServiceQueues queues = new ServiceQueues();
  private final Set<String> leased = new LinkedHashSet<>();
  private final Retention retention;
  private long nextSeq = 1;

  /** Memory only, reporting nothing (the rules' tests). */
  TaskQueue(TaskSettings settings, Clock clock) {
    this(settings, clock, false, TaskEvents.NONE);
  }

  /**
   * @param file whether a database file keeps finished tasks that memory lets go
   */
  TaskQueue(TaskSettings settings, Clock clock, boolean file, TaskEvents events) {
    this.settings = settings;
    this.clock = clock;
    this.retention = new Retention(settings, tasks, file, events);
  }

  TaskSettings settings() {
    return settings;
  }

  /**
   * Puts a new task in its service's queue, or returns the task an idempotency key already names.
   *
   * @param digest digest of the request, compared when the key is known (null when no key)
   * @throws TaskRejection QUEUE_FULL when the service's queue is at capacity; KEY_REUSED when the
   *     key names a task for a different request
   */
  Submitted submit(
      String service,
      String route,
      String model,
      JsonNode request,
      String key,
      String digest,
      long size) {
    if (key != null) {
      Optional<Task> existing = byKey(key);
      if (existing.isPresent()) {
        sameRequest(key, existing.get(), digest);
        return new Submitted(existing.get(), false);
      }
    }
    if (queues.size(service) >= settings.queueCapacity()) {
      throw TaskRejection.queueFull(service, settings);
    }
    Task task =
        Task.queued(
            UUID.randomUUID().toString(),
            nextSeq,
            service,
            route,
            model,
            request,
            key,
            digest,
            settings.maxAttempts(),
            clock.instant(),
            size);
    // Finished tasks give way to new work when memory runs short.
    while (tasks.bytes() + task.footprint() > settings.maxBytes()) {
      if (!retention.makeRoom(task.createdAt())) {
        break;
      }
    }
    if (tasks.bytes() + task.footprint() > settings.maxBytes()) {
      throw TaskRejection.memoryFull(tasks.bytes(), settings);
    }
    nextSeq++;
    tasks.put(task);
    queues.add(task);
    return new Submitted(task, true);
  }

  Optional<Task> byKey(String key) {
    return tasks.byKey(key);
  }

  /**
   * Checks that a key already seen is sent with the same request.
   *
   * @throws TaskRejection KEY_REUSED when it names a task for a different request
   */
  static void sameRequest(String key, Task existing, String digest) {
    if (!existing.requestDigest().equals(digest)) {
      throw TaskRejection.keyReused(key, existing);
    }
  }

  /**
   * Leases up to {@code max} queued tasks of the given services to {@code worker}, oldest first.
   *
   * @param models the models the worker serves; empty = any
   */
  List<Task> lease(String worker, Collection<String> services, Collection<String> models, int max) {
    List<Task> out = new ArrayList<>();
    while (out.size() < max) {
      Task best = queues.oldest(services, models, tasks);
      if (best == null) {
        break;
      }
      out.add(leaseOne(best, worker));
    }
    return out;
  }

  /** Leases one queued task to {@code worker} (a waiting poller it is handed to). */
  Task leaseOne(Task queuedTask, String worker) {
    Task t = tasks.get(queuedTask.id());
    if (t == null || t.state() != TaskState.QUEUED) {
      throw new IllegalStateException("task " + queuedTask.id() + " is not queued");
    }
    queues.remove(t);
    Task l = t.leased(worker, clock.instant().plus(settings.lease()));
    tasks.put(l);
    leased.add(l.id());
    return l;
  }

  static boolean serves(Collection<String> models, Task t) {
    return t.model() == null || models.isEmpty() || models.contains(t.model());
  }

  /**
   * Accepts the result of the current attempt from its lease holder.
   *
   * @param attempt the attempt the worker answers for, or null (the original agents do not say)
   * @throws TaskRejection NOT_FOUND for an unknown task; CONFLICT for anyone but the lease holder
   *     of the current attempt, or a finished task
   */
  Task complete(
      String id, String worker, Integer attempt, JsonNode result, int statusCode, long size) {
    Task t = held(id, worker, attempt);
    Task done = t.completed(clock.instant(), result, statusCode, worker, size);
    finish(done);
    return done;
  }

  /**
   * The lease holder reports that the current attempt failed. The task goes back to the queue
   * unless attempts ran out or the worker says retrying is pointless.
   */
  Task fail(String id, String worker, Integer attempt, String error, boolean retryable) {
    Task t = held(id, worker, attempt);
    String note = "attempt " + t.attempt() + " on worker " + worker + ": " + error;
    if (!retryable) {
      Task done =
          t.failed(
              clock.instant(),
              Failure.REJECTED,
              note,
              "task " + id + " failed: worker " + worker + " reported: " + error);
      finish(done);
      return done;
    }
    return lose(t, note);
  }

  /** Moves the lease deadline of the current attempt to {@code now + by}. */
  Task extend(String id, String worker, Integer attempt, Duration by) {
    Task t = held(id, worker, attempt);
    Task next = t.extended(clock.instant().plus(by));
    tasks.put(next);
    return next;
  }

  /**
   * Puts leased tasks back in the queue without counting the attempt: the poll that leased them
   * could not deliver them.
   */
  List<Task> release(String worker, Collection<Task> given) {
    List<Task> back = new ArrayList<>();
    for (Task g : given) {
      Task t = tasks.get(g.id());
      if (t != null
          && t.state() == TaskState.LEASED
          && worker.equals(t.leaseHolder())
          && t.attempt() == g.attempt()) {
        back.add(requeue(t.requeued(clock.instant(), null, false)));
      }
    }
    return back;
  }

  /**
   * Forgets a task that was never acknowledged (its insert failed), wherever it is now: a worker
   * that took it meanwhile gets 404 for its answer.
   */
  void withdraw(String id) {
    Task t = tasks.remove(id);
    if (t != null) {
      queues.remove(t);
      leased.remove(id);
      retention.unfinish(id);
    }
  }

  /**
   * Undoes a change whose write failed, if nothing changed the task since: {@code changed} is still
   * its snapshot. The task is {@code before} again (leased to the same worker).
   */
  boolean revert(Task changed, Task before) {
    if (tasks.get(changed.id()) != changed || before == null) {
      return false;
    }
    if (changed.state().finished()) {
      retention.unfinish(changed.id());
    } else if (changed.state() == TaskState.QUEUED) {
      queues.remove(changed);
    }
    tasks.put(before);
    if (before.state() == TaskState.LEASED) {
      leased.add(before.id());
    } else {
      leased.remove(before.id());
    }
    return true;
  }

  /**
   * The time-driven rules: leases that ran out or whose holder is gone go back to the queue (or
   * fail when attempts are used up), tasks nobody took within the queue timeout fail, and finished
   * tasks past their retention are forgotten.
   *
   * @param holderGone true for a worker that is Offline or no longer registered
   */
  Swept sweep(Predicate<String> holderGone) {
    Instant now = clock.instant();
    List<Task> changed = new ArrayList<>();
    for (String id : List.copyOf(leased)) {
      Task t = tasks.get(id);
      String where = "attempt " + t.attempt() + " on worker " + t.leaseHolder() + ": ";
      if (holderGone.test(t.leaseHolder())) {
        changed.add(
            lose(t, where + "the worker stopped sending heartbeats (Offline) while holding it"));
      } else if (!t.leaseDeadline().isAfter(now)) {
        changed.add(lose(t, where + "no result before the lease ran out at " + t.leaseDeadline()));
      }
    }
    for (Task t : queues.waitingSince(now.minus(settings.queueTimeout()), tasks)) {
      queues.remove(t);
      Task done = t.notPickedUp(now, settings.queueTimeout());
      finish(done);
      changed.add(done);
    }
    return new Swept(changed, retention.sweep(now));
  }

  /** Ids forgotten since the last call, for the journal. */
  List<String> drainForgotten() {
    return retention.drainForgotten();
  }

  /** The cutoff to forget finished tasks in the file that memory let go, when due; or null. */
  Instant purgeDue() {
    return retention.purgeDue(clock.instant());
  }

  /** Whether a finished task memory let go may still be in the file within its retention. */
  boolean mayBeOnDisk() {
    return retention.mayBeOnDisk(clock.instant());
  }

  /** Memory the tasks held take, about ({@link Task#footprint()}). */
  long heldBytes() {
    return tasks.bytes();
  }

  /**
   * Puts tasks read back from the database file in place (at start).
   *
   * @param moreUntil the latest finish among finished tasks the file holds but memory does not (the
   *     budget ran out), or null
   */
  void restore(Collection<Task> loaded, Instant moreUntil) {
    List<Task> done = new ArrayList<>();
    for (Task t : loaded) {
      tasks.put(t);
      nextSeq = Math.max(nextSeq, t.seq() + 1);
      switch (t.state()) {
        case QUEUED -> queues.add(t);
        case LEASED -> leased.add(t.id());
        default -> done.add(t);
      }
    }
    retention.restore(done, moreUntil);
  }

  /** The next submission number: restored finished tasks the budget left on disk count too. */
  void seqAtLeast(long seq) {
    nextSeq = Math.max(nextSeq, seq);
  }

  Optional<Task> get(String id) {
    return Optional.ofNullable(tasks.get(id));
  }

  /** Workers holding at least one lease. */
  Set<String> leaseHolders() {
    Set<String> holders = new LinkedHashSet<>();
    for (String id : leased) {
      holders.add(tasks.get(id).leaseHolder());
    }
    return holders;
  }

  int queued(String service) {
    return queues.size(service);
  }

  /** Tasks held now, by state. */
  Map<TaskState, Integer> counts() {
    return tasks.counts();
  }

  /** Queued tasks per service (services with none left out). */
  Map<String, Integer> queuedByService() {
    return queues.sizes();
  }

  private Task held(String id, String worker, Integer attempt) {
    Task t = tasks.get(id);
    if (t == null) {
      throw TaskRejection.notFound(id, settings.retention());
    }
    if (t.state().finished()) {
      throw TaskRejection.finished(t);
    }
    if (t.state() == TaskState.QUEUED || !worker.equals(t.leaseHolder())) {
      throw TaskRejection.notLeasedTo(t, worker);
    }
    if (attempt != null && attempt != t.attempt()) {
      throw TaskRejection.attemptOver(t, attempt);
    }
    return t;
  }

  /** An attempt was lost or failed: back to the queue, or failed for good when none are left. */
  private Task lose(Task t, String note) {
    Instant now = clock.instant();
    if (t.attempt() >= t.maxAttempts()) {
      Task done = t.exhausted(now, note);
      finish(done);
      return done;
    }
    return requeue(t.requeued(now, note, true));
  }

  private Task requeue(Task t) {
    tasks.put(t);
    leased.remove(t.id());
    queues.add(t);
    return t;
  }

  private void finish(Task done) {
    tasks.put(done);
    leased.remove(done.id());
    retention.finished(done);
  }
}
