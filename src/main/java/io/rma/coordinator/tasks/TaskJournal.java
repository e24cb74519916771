package io.rma.coordinator.tasks;

import io.rma.coordinator.pool.StoreException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes task changes to the database file with group commit: callers queue a change and get a
 * future; one writer thread takes everything queued, writes it in one transaction (one fsync) and
 * completes the futures. Under load a commit carries hundreds of changes, so durability costs one
 * fsync per batch rather than per task.
 *
 * <p>Changes are written in the order they were queued; the dispatcher queues them under its lock,
 * so the file sees the same order as memory. Without a file every future is complete at once.
 */
final class TaskJournal implements AutoCloseable {
  private static final Logger LOG = System.getLogger(TaskJournal.class.getName());
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
  private static final int MAX_BATCH = 2048;

  /** What the file holds at start, as far as the memory budget reaches. */
  record Loaded(List<Task> tasks, Instant moreUntil, long maxSeq) {}

  /**
   * One change: a task to write (whole when {@code insert}, else its state), an id to delete,
   * finished tasks to forget up to {@code purge}, or a task to read ({@code find}) once everything
   * queued before it is written.
   */
  private record Op(
      Task save,
      boolean insert,
      String delete,
      Instant purge,
      Find find,
      CompletableFuture<Void> done) {}

  /** A read by id or by idempotency key. */
  private record Find(String id, String key, CompletableFuture<Optional<Task>> found) {}

  private final SqliteTaskRepository repository;
  private final LinkedBlockingQueue<Op> pending = new LinkedBlockingQueue<>();
  private final Thread writer;
  private final AtomicLong commits = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private volatile boolean closed;

  private TaskJournal(SqliteTaskRepository repository) {
    this.repository = repository;
    if (repository == null) {
      writer = null;
    } else {
      writer = Thread.ofPlatform().name("rma-task-journal").daemon().start(this::run);
    }
  }

  /** Memory only: nothing is written. */
  static TaskJournal memory() {
    return new TaskJournal(null);
  }

  static TaskJournal sqlite(SqliteTaskRepository repository) {
    return new TaskJournal(repository);
  }

  boolean durable() {
    return repository != null;
  }

  /**
   * The tasks kept in the file (none without one): every queued and leased task, and the finished
   * ones within their retention ({@code finishedAfter}), newest first, as long as the tasks read
   * take no more than {@code budget} bytes ({@link Task#footprint()}).
   */
  Loaded load(Instant finishedAfter, long budget) {
    return repository == null
        ? new Loaded(List.of(), null, 0)
        : repository.load(finishedAfter, budget);
  }

  /** Queues a new task; the future completes when it is on disk. */
  CompletableFuture<Void> insert(Task t) {
    return submit(new Op(t, true, null, null, null, null));
  }

  /** Queues the new state of a task already written; the future completes when it is on disk. */
  CompletableFuture<Void> save(Task t) {
    return submit(new Op(t, false, null, null, null, null));
  }

  CompletableFuture<Void> delete(String id) {
    return submit(new Op(null, false, id, null, null, null));
  }

  /** Forgets the finished tasks in the file that finished before {@code cutoff}. */
  CompletableFuture<Void> purge(Instant cutoff) {
    return submit(new Op(null, false, null, cutoff, null, null));
  }

  /**
   * The task in the file with this id (or, when {@code id} is null, this idempotency key), read
   * after everything queued before is written: a change still on its way is never missed.
   */
  CompletableFuture<Optional<Task>> find(String id, String key) {
    if (repository == null) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    CompletableFuture<Optional<Task>> found = new CompletableFuture<>();
    CompletableFuture<Void> queued =
        submit(new Op(null, false, null, null, new Find(id, key, found), null));
    return queued.isCompletedExceptionally() ? queued.thenApply(v -> Optional.empty()) : found;
  }

  private CompletableFuture<Void> submit(Op op) {
    if (repository == null) {
      return DONE;
    }
    if (closed) {
      return CompletableFuture.failedFuture(new StoreException("the task journal is closed", null));
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    pending.add(new Op(op.save(), op.insert(), op.delete(), op.purge(), op.find(), done));
    return done;
  }

  /**
   * Waits until a change is on disk.
   *
   * @throws StoreException it could not be written
   */
  static void await(CompletableFuture<Void> durable) {
    try {
      durable.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof StoreException s
          ? s
          : new StoreException("cannot save the task: " + e.getMessage(), e);
    }
  }

  /** Batches committed and changes written since start (for the benchmark and tests). */
  long commits() {
    return commits.get();
  }

  long written() {
    return written.get();
  }

  /** Whether the journal writes: the file takes writes and the writer thread runs. */
  boolean ready() {
    return problem().isEmpty();
  }

  /** Why the journal does not write now, or empty when it does. */
  Optional<String> problem() {
    if (repository == null) {
      return Optional.empty();
    }
    if (!closed && !writer.isAlive()) {
      return Optional.of("the task journal's writer thread has stopped");
    }
    repository.ready(); // probes a failing file now and then
    return repository.problem();
  }

  private void run() {
    List<Op> batch = new ArrayList<>();
    while (true) {
      try {
        Op first = pending.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (closed) {
            return;
          }
          continue;
        }
        batch.add(first);
        pending.drainTo(batch, MAX_BATCH - 1);
        commit(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Error e) {
        LOG.log(Level.ERROR, "the task journal's writer thread stops: " + e, e);
        StoreException stopped = new StoreException("the task journal stopped: " + e, e);
        batch.forEach(op -> fail(op, stopped));
        for (Op op = pending.poll(); op != null; op = pending.poll()) {
          fail(op, stopped);
        }
        throw e;
      } finally {
        batch.clear();
      }
    }
  }

  private void commit(List<Op> batch) {
    // Only the latest state of a task in the batch needs writing; a task new in this batch is
    // written whole, in its latest state.
    Map<String, Task> inserts = new LinkedHashMap<>();
    Map<String, Task> changes = new LinkedHashMap<>();
    List<String> deletes = new ArrayList<>();
    Instant purge = null;
    List<Find> finds = new ArrayList<>();
    for (Op op : batch) {
      if (op.save() != null) {
        String id = op.save().id();
        if (op.insert() || inserts.containsKey(id)) {
          inserts.put(id, op.save());
        } else {
          changes.put(id, op.save());
        }
      } else if (op.delete() != null) {
        inserts.remove(op.delete());
        changes.remove(op.delete());
        deletes.add(op.delete());
      } else if (op.purge() != null) {
        purge = purge == null || op.purge().isAfter(purge) ? op.purge() : purge;
      } else if (op.find() != null) {
        finds.add(op.find());
      }
    }
    try {
      if (!inserts.isEmpty() || !changes.isEmpty() || !deletes.isEmpty() || purge != null) {
        repository.write(
            List.copyOf(inserts.values()), List.copyOf(changes.values()), deletes, purge);
        commits.incrementAndGet();
        written.addAndGet(inserts.size() + changes.size() + deletes.size());
      }
      batch.forEach(op -> op.done().complete(null));
    } catch (RuntimeException e) {
      // The repository's WriteHealth logs the failure, once per outage rather than per batch.
      StoreException failure =
          e instanceof StoreException s ? s : new StoreException("cannot save tasks", e);
      batch.forEach(op -> op.done().completeExceptionally(failure));
    }
    // Reads go through whether the writes did or not: a full disk still reads.
    for (Find f : finds) {
      try {
        f.found().complete(f.id() != null ? repository.byId(f.id()) : repository.byKey(f.key()));
      } catch (RuntimeException e) {
        f.found().completeExceptionally(e);
      }
    }
  }

  private static void fail(Op op, StoreException e) {
    op.done().completeExceptionally(e);
    if (op.find() != null) {
      op.find().found().completeExceptionally(e);
    }
  }

  /** Writes what is queued, then closes the file. */
  @Override
  public void close() {
    if (repository == null) {
      return;
    }
    closed = true;
    try {
      writer.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    StoreException closing = new StoreException("the task journal is closed", null);
    for (Op op = pending.poll(); op != null; op = pending.poll()) {
      fail(op, closing);
    }
    repository.close();
  }
}
