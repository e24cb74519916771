package io.rma.coordinator.pool;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The database file of standalone mode: one SQLite table of RMAWorker documents (JSON).
 *
 * <p>SQLite over H2 because its durability on a crash is the one property this file exists for, and
 * SQLite's is well proven: in WAL mode with {@code synchronous=FULL}, a commit is on disk when
 * {@code executeUpdate} returns, so a worker acknowledged before a {@code kill -9} (or a power
 * loss) is there after. H2's MVStore delays writes by default and needs tuning to promise the same.
 * The file is also readable with the stock {@code sqlite3} shell when something needs looking into.
 *
 * <p>One connection, used under this object's lock: writes are rare (registrations, phase changes,
 * a slow keepalive), never one per heartbeat. Each write is one statement in auto-commit mode: when
 * it fails (a full disk, an I/O error, a lock held too long) SQLite has undone it, nothing of it is
 * stored, and the next write starts afresh. Failures make the store unready ({@link WriteHealth})
 * until a write goes through again.
 */
public final class SqliteWorkerRepository implements AutoCloseable {
  private final Connection connection;
  private final AtomicLong writes = new AtomicLong();
  private final WriteHealth health;

  public SqliteWorkerRepository(Path file) {
    health = new WriteHealth("the workers table of " + file);
    try {
      connection = SqliteFiles.open(file);
      try (Statement s = connection.createStatement()) {
        s.execute(
            "CREATE TABLE IF NOT EXISTS rma_workers ("
                + " name TEXT PRIMARY KEY,"
                + " document TEXT NOT NULL,"
                + " updated_at INTEGER NOT NULL)");
      }
    } catch (SQLException | java.io.IOException e) {
      throw new StoreException("cannot open database " + file + ": " + e.getMessage(), e);
    }
  }

  public synchronized List<String> loadAll() {
    List<String> docs = new ArrayList<>();
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT document FROM rma_workers ORDER BY name")) {
      while (rs.next()) {
        docs.add(rs.getString(1));
      }
      return docs;
    } catch (SQLException e) {
      throw new StoreException("cannot read workers: " + e.getMessage(), e);
    }
  }

  public synchronized void upsert(String name, String document) {
    try (PreparedStatement p =
        connection.prepareStatement(
            "INSERT INTO rma_workers(name, document, updated_at) VALUES (?, ?, ?)"
                + " ON CONFLICT(name) DO UPDATE SET document = excluded.document,"
                + " updated_at = excluded.updated_at")) {
      p.setString(1, name);
      p.setString(2, document);
      p.setLong(3, System.currentTimeMillis());
      p.executeUpdate();
      writes.incrementAndGet();
      health.succeeded();
    } catch (SQLException e) {
      health.failed(e);
      throw new StoreException("cannot save worker " + name + ": " + e.getMessage(), e);
    }
  }

  public synchronized void delete(String name) {
    try (PreparedStatement p =
        connection.prepareStatement("DELETE FROM rma_workers WHERE name = ?")) {
      p.setString(1, name);
      p.executeUpdate();
      writes.incrementAndGet();
      health.succeeded();
    } catch (SQLException e) {
      health.failed(e);
      throw new StoreException("cannot delete worker " + name + ": " + e.getMessage(), e);
    }
  }

  /** Writes committed since the file was opened (the heartbeat tests count these). */
  public long writes() {
    return writes.get();
  }

  /** Fault injection: see {@link SqliteFiles#simulateFull}. */
  public synchronized void simulateFull(boolean full) {
    try {
      SqliteFiles.simulateFull(connection, full);
    } catch (SQLException e) {
      throw new StoreException("cannot limit the database: " + e.getMessage(), e);
    }
  }

  /** True while the file is open and takes writes (readiness). */
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
      SqliteFiles.probe(connection, "workers");
      health.succeeded();
    } catch (SQLException e) {
      health.failed(e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      throw new StoreException("cannot close database: " + e.getMessage(), e);
    }
  }
}
