package io.rma.coordinator.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.rma.coordinator.pool.StoreException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tasks table on a real SQLite file, including one that runs out of space. */
class SqliteTaskRepositoryTest {
  @TempDir Path dir;

  private static Task task(String id, long seq, int padding) {
    return Task.queued(
        id,
        seq,
        "rag",
        "/query",
        null,
        JsonNodeFactory.instance.objectNode().put("pad", "x".repeat(padding)),
        null,
        null,
        3,
        Instant.parse("2026-01-01T00:00:00Z"),
        padding);
  }

  @Test
  void aWriteThatFailsForLackOfSpaceLeavesNothingBehindAndTheNextOneIsWhole() {
    try (SqliteTaskRepository file = new SqliteTaskRepository(dir.resolve("rma.db"))) {
      file.write(List.of(task("a", 1, 10)), List.of(), List.of());
      file.simulateFull(true);
      // SQLite rolls the transaction back itself; the explicit rollback then finds none.
      assertThatThrownBy(
              () -> file.write(List.of(task("b", 2, 10), task("c", 3, 9000)), List.of(), List.of()))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("full");
      assertThat(file.ready()).isFalse();
      assertThat(file.problem()).hasValueSatisfying(p -> assertThat(p).contains("full"));

      file.simulateFull(false);
      file.write(List.of(task("d", 4, 9000), task("e", 5, 10)), List.of(), List.of());
      assertThat(file.ready()).isTrue();
      assertThat(file.problem()).isEmpty();
    }
    try (SqliteTaskRepository file = new SqliteTaskRepository(dir.resolve("rma.db"))) {
      assertThat(file.loadAll()).extracting(Task::id).containsExactly("a", "d", "e");
    }
  }
}
