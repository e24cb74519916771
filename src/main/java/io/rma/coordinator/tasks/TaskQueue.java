package io.rma.coordinator.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.tasks.TaskRejection.Kind;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The rules of the task queue, with no threads, I/O or HTTP, driven by a {@link Clock}: one queue
 * per service, leases with deadlines, attempts, results taken only from the lease holder of the
 * current attempt, idempotency keys and retention of finished tasks.
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
  private final Map<String, Task> tasks = new HashMap<>();

  /** Per service, queued task ids by submission order. */
  private final Map<String, TreeMap<Long, String>> queues = new HashMap<>();

  private final Set<String> leased = new LinkedHashSet<>();

  /** Finished task ids, in the order they finished: retention drops from the head. */
  private final ArrayDeque<String> finished = new ArrayDeque<>();

  private final Map<String, String> byKey = new HashMap<>();
  private long nextSeq = 1;

  /** Sum of {@link Task#bytes()} of every task held. */
  private long heldBytes;

  private final List<String> forgotten = new ArrayList<>();

  TaskQueue(TaskSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
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
        if (!existing.get().requestDigest().equals(digest)) {
          throw new TaskRejection(
              Kind.KEY_REUSED,
              "Idempotency-Key "
                  + key
                  + " already names task "
                  + existing.get().id()
                  + ", which was submitted with a different request");
        }
        return new Submitted(existing.get(), false);
      }
    }
    TreeMap<Long, String> queue = queues.computeIfAbsent(service, s -> new TreeMap<>());
    if (queue.size() >= settings.queueCapacity()) {
      throw new TaskRejection(
          Kind.QUEUE_FULL,
          "the queue of service "
              + service
              + " is full ("
              + settings.queueCapacity()
              + " tasks waiting); try again later",
          settings.retryAfter());
    }
    // Finished results give way to new work when memory runs short.
    while (heldBytes + size > settings.maxBytes()) {
      if (forgetOldestFinished() == null) {
        break;
      }
    }
    if (heldBytes + size > settings.maxBytes()) {
      throw new TaskRejection(
          Kind.QUEUE_FULL,
          "queued and running tasks hold "
              + heldBytes / 1024
              + " KiB of requests, the most the coordinator keeps is "
              + settings.maxBytes() / 1024
              + " KiB; try again later",
          settings.retryAfter());
    }
    Instant now = clock.instant();
    Task task =
        new Task(
            UUID.randomUUID().toString(),
            nextSeq++,
            service,
            route,
            model,
            request,
            key,
            digest,
            TaskState.QUEUED,
            0,
            settings.maxAttempts(),
            null,
            null,
            now,
            now,
            null,
            null,
            0,
            null,
            null,
            null,
            List.of(),
            size);
    tasks.put(task.id(), task);
    heldBytes += size;
    queue.put(task.seq(), task.id());
    if (key != null) {
      byKey.put(key, task.id());
    }
    return new Submitted(task, true);
  }

  Optional<Task> byKey(String key) {
    String id = byKey.get(key);
    return id == null ? Optional.empty() : Optional.ofNullable(tasks.get(id));
  }

  /**
   * Leases up to {@code max} queued tasks of the given services to {@code worker}, oldest first.
   *
   * @param models the models the worker serves; empty = any
   */
  List<Task> lease(String worker, Collection<String> services, Collection<String> models, int max) {
    List<Task> out = new ArrayList<>();
    while (out.size() < max) {
      Task best = null;
      for (String service : services) {
        TreeMap<Long, String> queue = queues.get(service);
        if (queue == null) {
          continue;
        }
        for (String id : queue.values()) {
          Task t = tasks.get(id);
          if (serves(models, t)) {
            if (best == null || t.seq() < best.seq()) {
              best = t;
            }
            break;
          }
          if (best != null && t.seq() > best.seq()) {
            break;
          }
        }
      }
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
    queues.get(t.service()).remove(t.seq());
    Task l = t.leased(worker, clock.instant().plus(settings.lease()));
    tasks.put(l.id(), l);
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
    tasks.put(id, next);
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
   * Forgets a task that was never acknowledged (its durable write failed), if nobody took it yet.
   */
  boolean discard(String id) {
    Task t = tasks.get(id);
    if (t == null || t.state() != TaskState.QUEUED || t.attempt() != 0) {
      return false;
    }
    queues.get(t.service()).remove(t.seq());
    remove(t);
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
    Instant cutoff = now.minus(settings.queueTimeout());
    for (TreeMap<Long, String> queue : queues.values()) {
      List<Task> expired = new ArrayList<>();
      // Submission order is creation order, and a task entered the queue no earlier than it was
      // created: past the first task created after the cutoff, none can have waited too long.
      // The scan stays short however long the queue is (it runs under the dispatcher's lock).
      for (String id : queue.values()) {
        Task t = tasks.get(id);
        if (t.createdAt().isAfter(cutoff)) {
          break;
        }
        if (!t.queuedAt().isAfter(cutoff)) {
          expired.add(t);
        }
      }
      for (Task t : expired) {
        queue.remove(t.seq());
        Task done =
            t.failed(
                now,
                Failure.NOT_PICKED_UP,
                null,
                "task "
                    + t.id()
                    + ": no pull worker of service "
                    + t.service()
                    + (t.model() == null ? "" : " serving model " + t.model())
                    + " took it within "
                    + settings.queueTimeout().toSeconds()
                    + "s"
                    + (t.history().isEmpty() ? "" : " (" + String.join("; ", t.history()) + ")"));
        finish(done);
        changed.add(done);
      }
    }
    List<String> removed = new ArrayList<>(forgotten);
    forgotten.clear();
    while (!finished.isEmpty()) {
      Task t = tasks.get(finished.peekFirst());
      if (t == null) {
        finished.pollFirst();
        continue;
      }
      boolean expired = !t.finishedAt().plus(settings.retention()).isAfter(now);
      if (!expired && finished.size() <= settings.retainMax() && heldBytes <= settings.maxBytes()) {
        break;
      }
      finished.pollFirst();
      remove(t);
      removed.add(t.id());
    }
    return new Swept(changed, removed);
  }

  /**
   * Forgets the oldest finished task to make room; null when none is left. The id is reported by
   * the next {@link #sweep} (or {@link #drainForgotten}) so the file forgets it too.
   */
  private String forgetOldestFinished() {
    while (!finished.isEmpty()) {
      Task t = tasks.get(finished.pollFirst());
      if (t != null) {
        remove(t);
        forgotten.add(t.id());
        return t.id();
      }
    }
    return null;
  }

  /** Ids forgotten to make room since the last call, for the journal. */
  List<String> drainForgotten() {
    List<String> out = List.copyOf(forgotten);
    forgotten.clear();
    return out;
  }

  /** Memory held by requests and results. */
  long heldBytes() {
    return heldBytes;
  }

  /** Puts tasks read back from the database file in place (at start). */
  void restore(Collection<Task> loaded) {
    List<Task> done = new ArrayList<>();
    for (Task t : loaded) {
      tasks.put(t.id(), t);
      heldBytes += t.bytes();
      nextSeq = Math.max(nextSeq, t.seq() + 1);
      if (t.idempotencyKey() != null) {
        byKey.put(t.idempotencyKey(), t.id());
      }
      switch (t.state()) {
        case QUEUED ->
            queues.computeIfAbsent(t.service(), s -> new TreeMap<>()).put(t.seq(), t.id());
        case LEASED -> leased.add(t.id());
        default -> done.add(t);
      }
    }
    done.sort(Comparator.comparing(Task::finishedAt).thenComparing(Task::seq));
    done.forEach(t -> finished.addLast(t.id()));
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
    TreeMap<Long, String> q = queues.get(service);
    return q == null ? 0 : q.size();
  }

  /** Tasks held now, by state. */
  Map<TaskState, Integer> counts() {
    Map<TaskState, Integer> counts = new EnumMap<>(TaskState.class);
    for (TaskState s : TaskState.values()) {
      counts.put(s, 0);
    }
    tasks.values().forEach(t -> counts.merge(t.state(), 1, Integer::sum));
    return counts;
  }

  /** Queued tasks per service (services with none left out). */
  Map<String, Integer> queuedByService() {
    Map<String, Integer> out = new TreeMap<>();
    queues.forEach(
        (s, q) -> {
          if (!q.isEmpty()) {
            out.put(s, q.size());
          }
        });
    return out;
  }

  private Task held(String id, String worker, Integer attempt) {
    Task t = tasks.get(id);
    if (t == null) {
      throw new TaskRejection(
          Kind.NOT_FOUND,
          "no task "
              + id
              + ": unknown, or finished more than "
              + settings.retention().toSeconds()
              + "s ago");
    }
    if (t.state().finished()) {
      throw new TaskRejection(
          Kind.CONFLICT,
          "task " + id + " is already " + t.state().wire() + "; this answer changes nothing");
    }
    if (t.state() == TaskState.QUEUED || !worker.equals(t.leaseHolder())) {
      throw new TaskRejection(
          Kind.CONFLICT,
          "task "
              + id
              + " is not leased to worker "
              + worker
              + ": the lease was lost and the task went back to the queue"
              + (t.state() == TaskState.LEASED ? " and to another worker" : ""));
    }
    if (attempt != null && attempt != t.attempt()) {
      throw new TaskRejection(
          Kind.CONFLICT,
          "attempt "
              + attempt
              + " of task "
              + id
              + " is over; the current attempt is "
              + t.attempt());
    }
    return t;
  }

  /** An attempt was lost or failed: back to the queue, or failed for good when none are left. */
  private Task lose(Task t, String note) {
    Instant now = clock.instant();
    if (t.attempt() >= t.maxAttempts()) {
      List<String> all = new ArrayList<>(t.history());
      all.add(note);
      Task done =
          t.failed(
              now,
              Failure.ATTEMPTS_EXHAUSTED,
              note,
              "task "
                  + t.id()
                  + " failed after "
                  + t.attempt()
                  + (t.attempt() == 1 ? " attempt: " : " attempts: ")
                  + String.join("; ", all));
      finish(done);
      return done;
    }
    return requeue(t.requeued(now, note, true));
  }

  private Task requeue(Task t) {
    tasks.put(t.id(), t);
    leased.remove(t.id());
    queues.computeIfAbsent(t.service(), s -> new TreeMap<>()).put(t.seq(), t.id());
    return t;
  }

  private void finish(Task done) {
    Task before = tasks.put(done.id(), done);
    heldBytes += done.bytes() - (before == null ? 0 : before.bytes());
    leased.remove(done.id());
    finished.addLast(done.id());
  }

  private void remove(Task t) {
    Task gone = tasks.remove(t.id());
    if (gone != null) {
      heldBytes -= gone.bytes();
    }
    if (t.idempotencyKey() != null && t.id().equals(byKey.get(t.idempotencyKey()))) {
      byKey.remove(t.idempotencyKey());
    }
  }
}
