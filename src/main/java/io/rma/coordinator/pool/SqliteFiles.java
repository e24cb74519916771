package io.rma.coordinator.pool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Opens the standalone database file the way every table in it needs: WAL (readers never block the
 * writer, and several connections may share the file) and {@code synchronous=FULL} (a commit is on
 * disk when it returns, so nothing acknowledged is lost to a {@code kill -9}).
 */
public final class SqliteFiles {
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
    } catch (SQLException e) {
      connection.close();
      throw e;
    }
    return connection;
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
