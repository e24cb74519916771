package io.rma.coordinator.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.runtime.KubernetesMode;
import io.rma.coordinator.testing.Api;
import io.rma.coordinator.testing.MutableClock;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two replicas on one Lease (short timings): one leads, reconciles, serves and carries the leader
 * label; the other stands by. When the leader stops, the standby takes over and judges nobody stale
 * for one grace period.
 */
class LeaderElectionTest {
  private static final Logger LOG = System.getLogger(LeaderElectionTest.class.getName());

  private MockCluster cluster;
  private MutableClock clock;
  private CoordinatorConfig config;
  private KubernetesMode a;
  private KubernetesMode b;
  private final AtomicBoolean lostLease = new AtomicBoolean();
  private final List<KubernetesClient> clients = new ArrayList<>();

  @BeforeEach
  void start() {
    cluster = new MockCluster();
    clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    config = ConfigLoader.load(Map.of("RMA_NAMESPACE", MockCluster.NAMESPACE));
    for (String pod : new String[] {"rma-a", "rma-b"}) {
      cluster
          .client
          .pods()
          .inNamespace(MockCluster.NAMESPACE)
          .resource(new PodBuilder().withNewMetadata().withName(pod).endMetadata().build())
          .create();
    }
  }

  @AfterEach
  void stop() {
    for (KubernetesMode m : new KubernetesMode[] {b, a}) {
      if (m != null) {
        m.close();
      }
    }
    clients.forEach(KubernetesClient::close);
    cluster.close();
  }

  private KubernetesMode replica(String name) {
    KubernetesClient client = cluster.server.createClient();
    clients.add(client);
    return KubernetesMode.start(
        config,
        client,
        clock,
        new KubernetesMode.Election(
            true,
            KubernetesMode.LEASE_NAME,
            name,
            Duration.ofSeconds(2),
            Duration.ofMillis(1500),
            Duration.ofMillis(200),
            Optional.of(name),
            Optional.empty(),
            () -> lostLease.set(true)),
        0);
  }

  @Test
  void onlyTheLeaderServesAndAStandbyTakesOverWithAGracePeriod() {
    a = replica("rma-a");
    await().until(() -> a.leadership().isLeader());
    b = replica("rma-b");
    Api apiA = new Api(a.server().port());
    Api apiB = new Api(b.server().port());

    assertThat(b.leadership().isLeader()).isFalse();
    assertThat(label("rma-a")).isEqualTo("true");
    assertThat(label("rma-b")).isNull();
    assertThat(apiB.get("/api/admin/workers").status()).isEqualTo(503);
    assertThat(apiB.get("/api/admin/workers").body().get("detail").asText()).contains("standby");
    assertThat(apiB.get("/observe/health/ready").status()).isEqualTo(200);

    JsonNode w = apiA.register(KubernetesModeTest.GPU_WORKER);
    assertThat(apiA.heartbeat(w, 0.2)).isEqualTo(200);
    // Long past the offline window by the status' last heartbeat; the heartbeats are in a's memory.
    clock.advance(Duration.ofMinutes(5));

    long stoppedAt = System.nanoTime();
    a.close();
    a = null;
    await().until(() -> b.leadership().isLeader());
    long takeoverMillis = (System.nanoTime() - stoppedAt) / 1_000_000;
    LOG.log(Level.INFO, "takeover after a clean stop of the leader: " + takeoverMillis + " ms");

    assertThat(lease().getSpec().getHolderIdentity()).isEqualTo("rma-b");
    await().untilAsserted(() -> assertThat(label("rma-b")).isEqualTo("true"));
    assertThat(label("rma-a")).isNull();
    // Takeover restarted the grace period: the silent worker is not judged stale yet.
    JsonNode seen = apiB.get("/api/admin/workers").body().get("workers").get(0);
    assertThat(seen.get("phase").asText()).isEqualTo("Healthy");
    long before = b.reconciler().reconciles();
    b.reconcileAll();
    await().until(() -> b.reconciler().reconciles() > before);
    assertThat(phase(w)).isEqualTo(WorkerPhase.Healthy);

    // One grace period later, with no heartbeat to the new leader, it is Offline.
    clock.advance(config.health().grace().plusSeconds(1));
    b.reconcileAll();
    await().untilAsserted(() -> assertThat(phase(w)).isEqualTo(WorkerPhase.Offline));
    assertThat(lostLease).isFalse();
  }

  @Test
  void aLeaderThatLosesTheLeaseStopsServingAndAsksToExit() {
    a = replica("rma-a");
    await().until(() -> a.leadership().isLeader());

    // Another holder renews the Lease under a's feet (as after a long pause of a's process).
    cluster
        .client
        .leases()
        .inNamespace(MockCluster.NAMESPACE)
        .withName(KubernetesMode.LEASE_NAME)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"spec\":{\"holderIdentity\":\"someone-else\",\"leaseDurationSeconds\":60,"
                + "\"renewTime\":\""
                + DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX")
                    .format(ZonedDateTime.now(ZoneOffset.UTC))
                + "\"}}");

    long stolenAt = System.nanoTime();
    await().atMost(Duration.ofSeconds(20)).untilTrue(lostLease);
    LOG.log(
        Level.INFO,
        "lease loss noticed after " + (System.nanoTime() - stolenAt) / 1_000_000 + " ms");
    assertThat(a.leadership().isLeader()).isFalse();
    assertThat(new Api(a.server().port()).get("/api/admin/workers").status()).isEqualTo(503);
  }

  private String label(String pod) {
    Pod p = cluster.client.pods().inNamespace(MockCluster.NAMESPACE).withName(pod).get();
    return p.getMetadata().getLabels() == null
        ? null
        : p.getMetadata().getLabels().get(KubernetesMode.LEADER_LABEL);
  }

  private Lease lease() {
    return cluster
        .client
        .leases()
        .inNamespace(MockCluster.NAMESPACE)
        .withName(KubernetesMode.LEASE_NAME)
        .get();
  }

  private WorkerPhase phase(JsonNode worker) {
    RMAWorker w =
        cluster
            .client
            .resources(RMAWorker.class)
            .inNamespace(MockCluster.NAMESPACE)
            .withName(worker.get("worker_id").asText())
            .get();
    return w == null ? null : w.getStatus().getPhase();
  }
}
