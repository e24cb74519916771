package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.api.v1alpha1.Capabilities;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.testing.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link Pool#workers()} hands out the same views while nothing they depend on changed, and fresh
 * ones as soon as anything did: a stored worker, a heartbeat, the clock, the restart grace.
 */
class PoolViewsTest {
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private final CoordinatorConfig config = ConfigLoader.load(Map.of());
  private final StandaloneWorkerStore store = new StandaloneWorkerStore(null, "default", clock);
  private final Pool pool =
      new Pool(store, new Heartbeats(), new PhasePolicy(config.health()), clock);

  private void add(String name) {
    Capabilities c = new Capabilities();
    c.setCpuCores(8);
    c.setRam("32GB");
    RMAWorkerSpec spec = new RMAWorkerSpec();
    spec.setCapabilities(c);
    store.save(new RMAWorker(name, spec));
  }

  private void beat(String name, double load) {
    pool.heartbeats().record(name, new Heartbeats.Beat(clock.instant(), false, load, null));
  }

  @Test
  void viewsAreReusedUntilSomethingTheyDependOnChanges() {
    clock.advance(config.health().grace());
    add("a");
    beat("a", 0.1);
    List<WorkerView> first = pool.workers();
    assertThat(pool.workers()).isSameAs(first);

    // A heartbeat: its load shows at once.
    beat("a", 0.7);
    assertThat(pool.workers()).isNotSameAs(first);
    assertThat(pool.workers().getFirst().load()).isEqualTo(0.7);

    // A stored change (a new worker): seen at once.
    add("b");
    assertThat(pool.workers()).extracting(WorkerView::name).containsExactlyInAnyOrder("a", "b");

    // Time: a silent worker's phase follows the clock.
    List<WorkerView> before = pool.workers();
    clock.advance(Duration.ofMillis(100));
    assertThat(pool.workers()).isSameAs(before);
    clock.advance(Duration.ofSeconds(90));
    assertThat(pool.workers())
        .filteredOn(w -> w.name().equals("a"))
        .extracting(WorkerView::phase)
        .containsExactly(WorkerPhase.Offline);

    // The restart grace starting again.
    List<WorkerView> offline = pool.workers();
    pool.restartGrace();
    assertThat(pool.workers()).isNotSameAs(offline);

    // Routing's subset: the workers that run a service, from the same views.
    RMAWorker c = new RMAWorker("c", new RMAWorkerSpec());
    c.getSpec().setCapabilities(new Capabilities());
    c.getSpec().getCapabilities().setCpuCores(4);
    c.getSpec().getCapabilities().setRam("8GB");
    c.getSpec().setServices(List.of("rag"));
    store.save(c);
    assertThat(pool.workersRunning("rag")).extracting(WorkerView::name).containsExactly("c");
    assertThat(pool.workersRunning("rag")).isSameAs(pool.workersRunning("rag"));
    store.delete("c");
    assertThat(pool.workersRunning("rag")).isEmpty();

    // A heartbeat within the same window remakes only its own worker's view.
    clock.advance(Duration.ofSeconds(1));
    add("d");
    add("e");
    List<WorkerView> window = pool.workers();
    beat("d", 0.4);
    List<WorkerView> afterBeat = pool.workers();
    for (int i = 0; i < window.size(); i++) {
      if (window.get(i).name().equals("d")) {
        assertThat(afterBeat.get(i)).isNotSameAs(window.get(i));
        assertThat(afterBeat.get(i).load()).isEqualTo(0.4);
      } else {
        assertThat(afterBeat.get(i)).isSameAs(window.get(i));
      }
    }

    // A forgotten heartbeat.
    List<WorkerView> beforeForget = pool.workers();
    pool.heartbeats().forget("a");
    assertThat(pool.workers()).isNotSameAs(beforeForget);
  }
}
