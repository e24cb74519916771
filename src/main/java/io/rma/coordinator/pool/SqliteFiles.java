package io.rma.coordinator.pool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Opens the standalone database file the way every table in it needs: WAL (readers never block the
 * writer, and several connections may share the file) and {@code synchronous=FULL} (a commit is on
 * disk when it returns, so nothing acknowledged is lost to a {@code kill -9}).
 *
 * <p>Connections stay in JDBC auto-commit mode and every multi-statement write goes through {@link
 * #transaction}, which issues its own {@code BEGIN}. sqlite-jdbc's manual-commit mode issues the
 * next {@code BEGIN} right after a successful {@code COMMIT} or {@code ROLLBACK} only: after a
 * write that failed with {@code SQLITE_FULL} (or an I/O error) SQLite has rolled the transaction
 * back by itself, the driver's {@code rollback()} then fails with "no transaction is active", no
 * {@code BEGIN} follows, and every later statement commits on its own while {@code commit()} fails
 * with "cannot commit": writes stored although the caller was told they failed.
 */
public final class SqliteFiles {
  /** Writes to run in one transaction. */
  @FunctionalInterface
  public interface Work {
    void run() throws Exception;
  }

  private SqliteFiles() {}

  public static Connection open(Path file) throws SQLException, IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
    try (Statement s = connection.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=FULL");
      s.execute("PRAGMA busy_timeout=5000");
      s.execute("CREATE TABLE IF NOT EXISTS rma_probe (owner TEXT PRIMARY KEY, filler BLOB)");
    } catch (SQLException e) {
      connection.close();
      throw e;
    }
    return connection;
  }

  /**
   * Runs {@code work} in one transaction: all of it is on disk when this returns, none of it when
   * it throws. Whatever failed (a statement, the commit, {@code SQLITE_BUSY}), the transaction is
   * over when this returns, so the next call starts a clean one.
   *
   * @throws SQLException what SQLite reported, or {@code work}'s own failure wrapped
   */
  public static void transaction(Connection connection, Work work) throws SQLException {
    try (Statement s = connection.createStatement()) {
      begin(s);
      try {
        work.run();
        s.execute("COMMIT");
      } catch (Exception e) {
        rollback(s, e);
        throw e instanceof SQLException sql ? sql : new SQLException(e.getMessage(), e);
      }
    }
  }

  /**
   * {@code BEGIN IMMEDIATE}: takes the write lock now (waiting up to the busy timeout), so a
   * transaction never fails half-way for a lock. Should an earlier transaction still be open (its
   * rollback failed too), it is rolled back first.
   */
  private static void begin(Statement s) throws SQLException {
    try {
      s.execute("BEGIN IMMEDIATE");
    } catch (SQLException e) {
      if (!String.valueOf(e.getMessage()).contains("within a transaction")) {
        throw e;
      }
      s.execute("ROLLBACK");
      s.execute("BEGIN IMMEDIATE");
    }
  }

  /**
   * Ends a failed transaction. SQLite may have rolled it back by itself ({@code SQLITE_FULL},
   * {@code SQLITE_IOERR}, ...): then {@code ROLLBACK} finds none, which is the expected case.
   */
  private static void rollback(Statement s, Exception cause) {
    try {
      s.execute("ROLLBACK");
    } catch (SQLException e) {
      if (!String.valueOf(e.getMessage()).contains("no transaction is active")) {
        cause.addSuppressed(e);
      }
    }
  }

  /**
   * A small write that needs space, as real ones do: a 16 KiB row written and deleted again in one
   * transaction. Tells whether the file takes writes while real ones fail and nothing else writes.
   */
  public static void probe(Connection connection, String owner) throws SQLException {
    transaction(
        connection,
        () -> {
          try (PreparedStatement insert =
                  connection.prepareStatement(
                      "INSERT OR REPLACE INTO rma_probe(owner, filler) VALUES (?, zeroblob(16384))");
              PreparedStatement delete =
                  connection.prepareStatement("DELETE FROM rma_probe WHERE owner = ?")) {
            insert.setString(1, owner);
            insert.executeUpdate();
            delete.setString(1, owner);
            delete.executeUpdate();
          }
        });
  }

  /**
   * Fault injection for tests and drills: with {@code full}, the file takes no page beyond those it
   * has (SQLite's {@code max_page_count}, on this connection only), so a write that needs space
   * fails with {@code SQLITE_FULL} as on a full disk; without, the limit is lifted again.
   */
  public static void simulateFull(Connection connection, boolean full) throws SQLException {
    try (Statement s = connection.createStatement()) {
      long pages = 4294967294L;
      if (full) {
        try (ResultSet rs = s.executeQuery("PRAGMA page_count")) {
          rs.next();
          pages = rs.getLong(1);
        }
      }
      s.execute("PRAGMA max_page_count = " + pages);
    }
  }

  /** True while the connection is open and answers (readiness). */
  public static boolean ready(Connection connection) {
    try {
      return !connection.isClosed() && connection.isValid(1);
    } catch (SQLException e) {
      return false;
    }
  }
}
