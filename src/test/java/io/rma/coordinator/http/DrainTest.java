package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.pool.StandaloneWorkerStore;
import io.rma.coordinator.pool.StoreException;
import io.rma.coordinator.pool.WorkerStore;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.MutableClock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Draining through the admin API, with a store that can refuse writes. */
class DrainTest {
  /** A memory store whose writes fail while {@code failing} is set. */
  private static final class FlakyStore implements WorkerStore {
    final StandaloneWorkerStore store;
    volatile boolean failing;

    FlakyStore(MutableClock clock) {
      store = new StandaloneWorkerStore(null, "default", clock);
    }

    @Override
    public RMAWorker save(RMAWorker worker) {
      if (failing) {
        throw new StoreException("disk full", new java.io.IOException("SQLITE_FULL"));
      }
      return store.save(worker);
    }

    @Override
    public Optional<RMAWorker> get(String name) {
      return store.get(name);
    }

    @Override
    public List<RMAWorker> list() {
      return store.list();
    }

    @Override
    public boolean delete(String name) {
      return store.delete(name);
    }

    @Override
    public boolean updateStatus(String name, RMAWorkerStatus status) {
      return store.updateStatus(name, status);
    }

    @Override
    public String kind() {
      return "memory";
    }

    @Override
    public void close() {
      store.close();
    }
  }

  @Test
  void aDrainThatCannotBeStoredLeavesTheStoredWorkerAsItWas() {
    MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
    FlakyStore store = new FlakyStore(clock);
    Map<String, String> env = Map.of("RMA_ADMIN_TOKEN", "admin", "RMA_WORKER_AUTH", "none");
    try (CoordinatorFixture api =
        new CoordinatorFixture(
            new Coordinator(ConfigLoader.load(env), store, clock, "standalone"))) {
      CoordinatorFixture.Answer joined =
          api.post(
              "/api/worker/register",
              "{\"capabilities\":{\"cpu_cores\":4,\"ram\":\"8GB\"},\"ip_address\":\"10.0.0.9\"}");
      String id = joined.json().get("worker_id").asText();

      store.failing = true;
      assertThat(api.post("/api/admin/workers/" + id + "/drain", "", "admin").status())
          .isEqualTo(503);
      assertThat(store.get(id).orElseThrow().getSpec().getDrain()).isNull();

      store.failing = false;
      assertThat(api.post("/api/admin/workers/" + id + "/drain", "", "admin").status())
          .isEqualTo(200);
      assertThat(store.get(id).orElseThrow().getSpec().getDrain()).isTrue();
    }
  }
}
