package io.rma.coordinator.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WorkerTurnsTest {
  private final WorkerTurns turns = new WorkerTurns();

  @Test
  void aReconcileStepsAsideWhileASaveOfThatWorkerIsUnderWay() throws Exception {
    CountDownLatch saving = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    CompletableFuture<String> save =
        CompletableFuture.supplyAsync(
            () ->
                turns.exclusively(
                    "w1",
                    () -> {
                      saving.countDown();
                      await(done);
                      return "saved";
                    }));
    assertThat(saving.await(10, TimeUnit.SECONDS)).isTrue();

    assertThat(turns.tryExclusively("w1", () -> "decided")).isEmpty();
    assertThat(turns.tryExclusively("w2", () -> "decided")).contains("decided");

    done.countDown();
    assertThat(save.get(10, TimeUnit.SECONDS)).isEqualTo("saved");
    assertThat(turns.tryExclusively("w1", () -> "decided")).contains("decided");
    assertThat(turns.held()).isZero();
  }

  @Test
  void theHolderMayTakeItsTurnAgain() {
    Optional<String> nested =
        turns.tryExclusively("w1", () -> turns.exclusively("w1", () -> "pruned"));
    assertThat(nested).contains("pruned");
    assertThat(turns.held()).isZero();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
