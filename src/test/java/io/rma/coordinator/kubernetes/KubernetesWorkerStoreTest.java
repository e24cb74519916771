package io.rma.coordinator.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KubernetesWorkerStoreTest {
  private MockCluster cluster;
  private KubernetesWorkerStore store;

  @BeforeEach
  void start() {
    cluster = new MockCluster();
    store =
        new KubernetesWorkerStore(cluster.client, MockCluster.NAMESPACE)
            .start(Duration.ofSeconds(10));
  }

  @AfterEach
  void stop() {
    store.close();
    cluster.close();
  }

  private static RMAWorker worker(String name, String ip, WorkerPhase phase) {
    RMAWorkerSpec spec = new RMAWorkerSpec();
    spec.setIpAddress(ip);
    spec.setServices(List.of("rag"));
    RMAWorker w = new RMAWorker(name, spec);
    RMAWorkerStatus status = new RMAWorkerStatus();
    status.setTier(2);
    status.setPhase(phase);
    status.setCredentialHash("ab".repeat(32));
    w.setStatus(status);
    return w;
  }

  @Test
  void aSavedWorkerIsReadableAtOnceWithItsStatus() {
    RMAWorker saved = store.save(worker("w1", "10.0.0.1", WorkerPhase.Healthy));

    // Equal in content: our own write, or the informer's copy of it if it has caught up already
    // (RMAWorkerSpec has no equals of its own).
    assertThat(store.get("w1")).get().usingRecursiveComparison().isEqualTo(saved);
    assertThat(store.list()).extracting(w -> w.getMetadata().getName()).containsExactly("w1");
    RMAWorker server =
        cluster.client.resources(RMAWorker.class).inNamespace("test").withName("w1").get();
    assertThat(server.getStatus().getTier()).isEqualTo(2);
    assertThat(server.getStatus().getObservedGeneration()).isEqualTo(1L);
    await().until(store::ready);
  }

  @Test
  void aStatusDecidedFromAStaleCopyIsRefused() {
    RMAWorker first = store.save(worker("w1", "10.0.0.1", WorkerPhase.Healthy));
    RMAWorkerStatus offline = first.getStatus().copy();
    offline.setPhase(WorkerPhase.Offline);
    store.patchStatus(first, offline);

    RMAWorkerStatus stale = first.getStatus().copy();
    stale.setPhase(WorkerPhase.Degraded);
    assertThatThrownBy(() -> store.patchStatus(first, stale))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(409));
    assertThat(store.get("w1").orElseThrow().getStatus().getPhase()).isEqualTo(WorkerPhase.Offline);
  }

  @Test
  void reRegisteringReplacesTheSpecKeepsAnnotationsAndStampsTheNewGeneration() {
    store.save(worker("w1", "10.0.0.1", WorkerPhase.Healthy));
    cluster
        .client
        .resources(RMAWorker.class)
        .inNamespace("test")
        .withName("w1")
        .edit(
            w -> {
              w.getMetadata().setAnnotations(Map.of("team", "ml"));
              return w;
            });
    await().until(() -> store.get("w1").orElseThrow().getMetadata().getAnnotations() != null);

    RMAWorker again = store.save(worker("w1", "10.0.0.2", WorkerPhase.Healthy));

    assertThat(again.getSpec().getIpAddress()).isEqualTo("10.0.0.2");
    assertThat(again.getMetadata().getAnnotations()).containsEntry("team", "ml");
    assertThat(again.getMetadata().getGeneration()).isEqualTo(2L);
    assertThat(again.getStatus().getObservedGeneration()).isEqualTo(2L);
  }

  @Test
  void aDeletedWorkerIsGoneAtOnce() {
    store.save(worker("w1", "10.0.0.1", WorkerPhase.Healthy));
    assertThat(store.delete("w1")).isTrue();
    assertThat(store.get("w1")).isEmpty();
    assertThat(store.list()).isEmpty();
    assertThat(store.delete("w1")).isFalse();
  }
}
