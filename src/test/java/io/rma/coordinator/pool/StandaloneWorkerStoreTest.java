package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StandaloneWorkerStoreTest {
  @TempDir Path dir;
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");

  private StandaloneWorkerStore open() {
    return new StandaloneWorkerStore(
        new SqliteWorkerRepository(dir.resolve("rma.db")), "pool", clock);
  }

  @Test
  void savedWorkersAndStatusesAreInTheFileAfterReopening() {
    try (StandaloneWorkerStore store = open()) {
      RMAWorker saved = store.save(new RMAWorker("w1", new RMAWorkerSpec()));
      assertThat(saved.getMetadata().getGeneration()).isEqualTo(1);
      assertThat(saved.getMetadata().getNamespace()).isEqualTo("pool");
      assertThat(saved.getMetadata().getCreationTimestamp()).isEqualTo("2026-01-01T00:00:00Z");
      RMAWorkerStatus status = new RMAWorkerStatus();
      status.setPhase(WorkerPhase.Offline);
      assertThat(store.updateStatus("w1", status)).isTrue();
      assertThat(store.updateStatus("nobody", status)).isFalse();
    }
    try (StandaloneWorkerStore store = open()) {
      assertThat(store.get("w1").orElseThrow().getStatus().getPhase())
          .isEqualTo(WorkerPhase.Offline);
      assertThat(store.delete("w1")).isTrue();
      assertThat(store.delete("w1")).isFalse();
    }
    try (StandaloneWorkerStore store = open()) {
      assertThat(store.list()).isEmpty();
    }
  }

  @Test
  void aFullFileRefusesTheWriteKeepsMemoryAsStoredAndTakesWritesAgainWhenSpaceComesBack() {
    SqliteWorkerRepository file = new SqliteWorkerRepository(dir.resolve("rma.db"));
    try (StandaloneWorkerStore store = new StandaloneWorkerStore(file, "pool", clock)) {
      store.save(new RMAWorker("small", new RMAWorkerSpec()));
      file.simulateFull(true);
      assertThatThrownBy(() -> store.save(big("refused")))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("full");
      assertThat(store.get("refused")).isEmpty();
      assertThat(store.ready()).isFalse();
      assertThat(store.problem()).hasValueSatisfying(p -> assertThat(p).contains("full"));

      file.simulateFull(false);
      // Readiness comes back with no write of the caller's: the store tries a small one itself.
      await().atMost(Duration.ofSeconds(10)).until(store::ready);
      assertThat(store.problem()).isEmpty();
      store.save(big("accepted"));
    }
    try (StandaloneWorkerStore store = open()) {
      assertThat(store.list())
          .extracting(w -> w.getMetadata().getName())
          .containsExactlyInAnyOrder("small", "accepted");
    }
  }

  /** A worker whose document is bigger than a page: storing it needs new pages. */
  private static RMAWorker big(String name) {
    RMAWorkerSpec spec = new RMAWorkerSpec();
    spec.setModels(
        java.util.stream.IntStream.range(0, 300)
            .mapToObj(i -> "model-" + i + "-" + "m".repeat(20))
            .toList());
    return new RMAWorker(name, spec);
  }

  @Test
  void theGenerationMovesOnlyWhenTheSpecChanges() {
    try (StandaloneWorkerStore store = open()) {
      RMAWorker w = store.save(new RMAWorker("w1", new RMAWorkerSpec()));
      assertThat(store.save(w).getMetadata().getGeneration()).isEqualTo(1);
      w.getSpec().setDrain(true);
      RMAWorker drained = store.save(w);
      assertThat(drained.getMetadata().getGeneration()).isEqualTo(2);
      assertThat(drained.getMetadata().getUid()).isEqualTo(w.getMetadata().getUid());
    }
  }

  @Test
  void readersNeverSeeTheObjectsTheCallerKeepsChanging() {
    try (StandaloneWorkerStore store = new StandaloneWorkerStore(null, "default", clock)) {
      RMAWorker mine = new RMAWorker("w1", new RMAWorkerSpec());
      store.save(mine);
      mine.getSpec().setDrain(true);
      assertThat(store.get("w1").orElseThrow().getSpec().draining()).isFalse();
      assertThat(store.kind()).isEqualTo("memory");
    }
  }
}
