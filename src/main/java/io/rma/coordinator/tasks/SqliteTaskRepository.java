package io.rma.coordinator.tasks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rma.coordinator.pool.SqliteFiles;
import io.rma.coordinator.pool.StoreException;
import io.rma.coordinator.pool.WriteHealth;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The tasks table in standalone mode's database file ({@code DATABASE_PATH}), next to the workers
 * table of {@link io.rma.coordinator.pool.SqliteWorkerRepository} but on a connection of its own:
 * in WAL mode the two take turns writing, and worker writes are rare.
 *
 * <p>Same durability settings as the workers table ({@code synchronous=FULL}): a batch is on disk
 * when {@link #write} returns, and none of it when it throws; the next batch starts a clean
 * transaction either way ({@link SqliteFiles#transaction}). Failures make the journal unready
 * ({@link WriteHealth}) until a write goes through again. Only {@link TaskJournal}'s writer thread
 * calls {@link #write}.
 */
public final class SqliteTaskRepository implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  private static final String COLUMNS =
      "id, seq, service, route, model, request, idempotency_key, request_digest, state, attempt,"
          + " max_attempts, lease_holder, lease_deadline, created_at, queued_at, finished_at,"
          + " result, status_code, completed_by, failure, error, history, bytes";

  private final Connection connection;
  private final PreparedStatement upsert;
  private final PreparedStatement update;
  private final PreparedStatement delete;
  private final PreparedStatement purge;
  private final WriteHealth health;

  public SqliteTaskRepository(Path file) {
    health = new WriteHealth("the tasks table of " + file);
    try {
      connection = SqliteFiles.open(file);
      try (Statement s = connection.createStatement()) {
        s.execute(
            "CREATE TABLE IF NOT EXISTS rma_tasks ("
                + " id TEXT PRIMARY KEY,"
                + " seq INTEGER NOT NULL,"
                + " service TEXT NOT NULL,"
                + " route TEXT,"
                + " model TEXT,"
                + " request TEXT,"
                + " idempotency_key TEXT,"
                + " request_digest TEXT,"
                + " state TEXT NOT NULL,"
                + " attempt INTEGER NOT NULL,"
                + " max_attempts INTEGER NOT NULL,"
                + " lease_holder TEXT,"
                + " lease_deadline INTEGER,"
                + " created_at INTEGER NOT NULL,"
                + " queued_at INTEGER NOT NULL,"
                + " finished_at INTEGER,"
                + " result TEXT,"
                + " status_code INTEGER NOT NULL,"
                + " completed_by TEXT,"
                + " failure TEXT,"
                + " error TEXT,"
                + " history TEXT NOT NULL,"
                + " bytes INTEGER NOT NULL)");
        // Lookups of tasks memory let go (the budget), and forgetting them after their retention.
        s.execute(
            "CREATE INDEX IF NOT EXISTS rma_tasks_by_key ON rma_tasks(idempotency_key)"
                + " WHERE idempotency_key IS NOT NULL");
        s.execute(
            "CREATE INDEX IF NOT EXISTS rma_tasks_by_finish ON rma_tasks(finished_at)"
                + " WHERE finished_at IS NOT NULL");
      }
      upsert =
          connection.prepareStatement(
              "INSERT OR REPLACE INTO rma_tasks ("
                  + COLUMNS
                  + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      // A change of state leaves the request (written once) in place until the task finishes.
      update =
          connection.prepareStatement(
              "UPDATE rma_tasks SET request = CASE WHEN ? THEN NULL ELSE request END, state = ?,"
                  + " attempt = ?, lease_holder = ?, lease_deadline = ?, queued_at = ?,"
                  + " finished_at = ?, result = ?, status_code = ?, completed_by = ?, failure = ?,"
                  + " error = ?, history = ?, bytes = ? WHERE id = ?");
      delete = connection.prepareStatement("DELETE FROM rma_tasks WHERE id = ?");
      purge =
          connection.prepareStatement(
              "DELETE FROM rma_tasks WHERE finished_at IS NOT NULL AND finished_at < ?");
    } catch (SQLException | java.io.IOException e) {
      throw new StoreException("cannot open database " + file + ": " + e.getMessage(), e);
    }
  }

  /** Every task in the file. */
  public synchronized List<Task> loadAll() {
    return select("SELECT " + COLUMNS + " FROM rma_tasks ORDER BY seq", p -> {});
  }

  /**
   * What the coordinator holds at start: every queued and leased task, then the finished ones that
   * finished after {@code finishedAfter}, newest first, while all of them together take no more
   * than {@code budget} ({@link Task#footprint()}).
   */
  synchronized TaskJournal.Loaded load(Instant finishedAfter, long budget) {
    List<Task> out =
        new ArrayList<>(
            select(
                "SELECT " + COLUMNS + " FROM rma_tasks WHERE finished_at IS NULL ORDER BY seq",
                p -> {}));
    long held = out.stream().mapToLong(Task::footprint).sum();
    Instant moreUntil = null;
    try (PreparedStatement p =
        connection.prepareStatement(
            "SELECT "
                + COLUMNS
                + " FROM rma_tasks WHERE finished_at > ? ORDER BY finished_at DESC, seq DESC")) {
      p.setLong(1, finishedAfter.toEpochMilli());
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          Task t = read(rs);
          if (held + t.footprint() > budget) {
            moreUntil = t.finishedAt();
            break;
          }
          held += t.footprint();
          out.add(t);
        }
      }
      long maxSeq;
      try (Statement s = connection.createStatement();
          ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(seq), 0) FROM rma_tasks")) {
        rs.next();
        maxSeq = rs.getLong(1);
      }
      return new TaskJournal.Loaded(out, moreUntil, maxSeq);
    } catch (SQLException | JsonProcessingException e) {
      throw new StoreException("cannot read tasks: " + e.getMessage(), e);
    }
  }

  /** The task with this id, if the file holds it. */
  synchronized Optional<Task> byId(String id) {
    return select("SELECT " + COLUMNS + " FROM rma_tasks WHERE id = ?", p -> p.setString(1, id))
        .stream()
        .findFirst();
  }

  /** The latest task with this idempotency key, if the file holds one. */
  synchronized Optional<Task> byKey(String key) {
    return select(
            "SELECT "
                + COLUMNS
                + " FROM rma_tasks WHERE idempotency_key = ? ORDER BY seq DESC LIMIT 1",
            p -> p.setString(1, key))
        .stream()
        .findFirst();
  }

  private interface Binder {
    void bind(PreparedStatement p) throws SQLException;
  }

  private List<Task> select(String sql, Binder binder) {
    List<Task> out = new ArrayList<>();
    try (PreparedStatement p = connection.prepareStatement(sql)) {
      binder.bind(p);
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          out.add(read(rs));
        }
      }
      return out;
    } catch (SQLException | JsonProcessingException e) {
      throw new StoreException("cannot read tasks: " + e.getMessage(), e);
    }
  }

  /**
   * Writes new tasks whole, the new state of known ones, and deletes ids, in one transaction: all
   * of it is on disk when this returns.
   */
  public void write(List<Task> insert, List<Task> change, List<String> remove) {
    write(insert, change, remove, null);
  }

  /**
   * Also forgets every finished task that finished before {@code purgeBefore} (when not null), in
   * the same transaction.
   */
  public synchronized void write(
      List<Task> insert, List<Task> change, List<String> remove, Instant purgeBefore) {
    try {
      SqliteFiles.transaction(
          connection,
          () -> {
            for (Task t : insert) {
              bind(t);
              upsert.addBatch();
            }
            for (Task t : change) {
              bindChange(t);
              update.addBatch();
            }
            for (String id : remove) {
              delete.setString(1, id);
              delete.addBatch();
            }
            if (!insert.isEmpty()) {
              upsert.executeBatch();
            }
            if (!change.isEmpty()) {
              update.executeBatch();
            }
            if (!remove.isEmpty()) {
              delete.executeBatch();
            }
            if (purgeBefore != null) {
              purge.setLong(1, purgeBefore.toEpochMilli());
              purge.executeUpdate();
            }
          });
      health.succeeded();
    } catch (SQLException e) {
      clearBatches(e);
      health.failed(e);
      throw new StoreException("cannot save tasks: " + e.getMessage(), e);
    }
  }

  private void clearBatches(SQLException cause) {
    try {
      upsert.clearBatch();
      update.clearBatch();
      delete.clearBatch();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  /** Fault injection: see {@link SqliteFiles#simulateFull}. */
  public synchronized void simulateFull(boolean full) {
    try {
      SqliteFiles.simulateFull(connection, full);
    } catch (SQLException e) {
      throw new StoreException("cannot limit the database: " + e.getMessage(), e);
    }
  }

  /** True while the file is open and takes writes. */
  public synchronized boolean ready() {
    health.probeIfDue(this::probe);
    return health.ok() && SqliteFiles.ready(connection);
  }

  /** Why the file takes no writes, while it does not. */
  public synchronized Optional<String> problem() {
    return health
        .problem()
        .or(
            () ->
                SqliteFiles.ready(connection)
                    ? Optional.empty()
                    : Optional.of("the database file does not answer"));
  }

  private synchronized void probe() {
    try {
      SqliteFiles.probe(connection, "tasks");
      health.succeeded();
    } catch (SQLException e) {
      health.failed(e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      upsert.close();
      update.close();
      delete.close();
      purge.close();
      connection.close();
    } catch (SQLException e) {
      throw new StoreException("cannot close database: " + e.getMessage(), e);
    }
  }

  private void bind(Task t) throws SQLException, JsonProcessingException {
    PreparedStatement p = upsert;
    p.setString(1, t.id());
    p.setLong(2, t.seq());
    p.setString(3, t.service());
    p.setString(4, t.route());
    p.setString(5, t.model());
    p.setString(6, t.request() == null ? null : JSON.writeValueAsString(t.request()));
    p.setString(7, t.idempotencyKey());
    p.setString(8, t.requestDigest());
    p.setString(9, t.state().name());
    p.setInt(10, t.attempt());
    p.setInt(11, t.maxAttempts());
    p.setString(12, t.leaseHolder());
    setInstant(p, 13, t.leaseDeadline());
    setInstant(p, 14, t.createdAt());
    setInstant(p, 15, t.queuedAt());
    setInstant(p, 16, t.finishedAt());
    p.setString(17, t.result() == null ? null : JSON.writeValueAsString(t.result()));
    p.setInt(18, t.statusCode());
    p.setString(19, t.completedBy());
    p.setString(20, t.failure() == null ? null : t.failure().name());
    p.setString(21, t.error());
    p.setString(22, JSON.writeValueAsString(t.history()));
    p.setLong(23, t.bytes());
  }

  private void bindChange(Task t) throws SQLException, JsonProcessingException {
    PreparedStatement p = update;
    p.setBoolean(1, t.request() == null);
    p.setString(2, t.state().name());
    p.setInt(3, t.attempt());
    p.setString(4, t.leaseHolder());
    setInstant(p, 5, t.leaseDeadline());
    setInstant(p, 6, t.queuedAt());
    setInstant(p, 7, t.finishedAt());
    p.setString(8, t.result() == null ? null : JSON.writeValueAsString(t.result()));
    p.setInt(9, t.statusCode());
    p.setString(10, t.completedBy());
    p.setString(11, t.failure() == null ? null : t.failure().name());
    p.setString(12, t.error());
    p.setString(13, t.history().isEmpty() ? "[]" : JSON.writeValueAsString(t.history()));
    p.setLong(14, t.bytes());
    p.setString(15, t.id());
  }

  private static Task read(ResultSet rs) throws SQLException, JsonProcessingException {
    String request = rs.getString(6);
    String result = rs.getString(17);
    String failure = rs.getString(20);
    return new Task(
        rs.getString(1),
        rs.getLong(2),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        request == null ? null : JSON.readTree(request),
        rs.getString(7),
        rs.getString(8),
        TaskState.valueOf(rs.getString(9)),
        rs.getInt(10),
        rs.getInt(11),
        rs.getString(12),
        instant(rs, 13),
        instant(rs, 14),
        instant(rs, 15),
        instant(rs, 16),
        result == null ? null : JSON.readTree(result),
        rs.getInt(18),
        rs.getString(19),
        failure == null ? null : Failure.valueOf(failure),
        rs.getString(21),
        JSON.readValue(rs.getString(22), STRINGS),
        rs.getLong(23));
  }

  private static void setInstant(PreparedStatement p, int i, Instant t) throws SQLException {
    if (t == null) {
      p.setNull(i, Types.INTEGER);
    } else {
      p.setLong(i, t.toEpochMilli());
    }
  }

  private static Instant instant(ResultSet rs, int i) throws SQLException {
    long v = rs.getLong(i);
    return rs.wasNull() ? null : Instant.ofEpochMilli(v);
  }
}
