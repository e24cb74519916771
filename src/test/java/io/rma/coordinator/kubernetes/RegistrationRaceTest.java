package io.rma.coordinator.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.runtime.KubernetesMode;
import io.rma.coordinator.testing.Api;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Registration in Kubernetes mode meets the reconciler: whatever order the API server, the two
 * informers and the web tier see things in, every worker is reconciled after its registration, and
 * no status write is refused with 409. On fabric8's mock API server with the real clock (the
 * operator's timers are real).
 */
class RegistrationRaceTest {
  private static final String WORKERS_PATH =
      "/apis/rma.io/v1alpha1/namespaces/" + MockCluster.NAMESPACE + "/rmaworkers";
  private static final String CPU_WORKER = KubernetesModeTest.CPU_WORKER;

  private MockCluster cluster;
  private KubernetesMode mode;
  private Api api;

  /** The web tier's store on its own client, built through {@code web}; the operator on another. */
  private void start(Map<String, String> env, Consumer<KubernetesClientBuilder> web) {
    cluster = new MockCluster();
    Map<String, String> all = new HashMap<>(env);
    all.put("RMA_NAMESPACE", MockCluster.NAMESPACE);
    all.put("RMA_REGISTRATIONS_PER_MINUTE", "0");
    CoordinatorConfig config = ConfigLoader.load(all);
    mode =
        KubernetesMode.start(
            config,
            cluster.newClient(web),
            cluster.client,
            Clock.systemUTC(),
            KubernetesMode.Election.off(),
            0);
    api = new Api(mode.server().port());
  }

  @AfterEach
  void stop() {
    if (mode != null) {
      mode.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * The ordering a real API server produced for about one new worker in four: the operator's
   * informer delivers ADDED, and the reconcile it triggers runs to its end, before the web tier's
   * create call has returned (so before the web tier wrote the first status, and before the store's
   * own informer has the object). Forced here by holding the web tier's client (its create's
   * answer, and with it the store's informer) until that reconcile has finished.
   */
  @Test
  void aWorkerWhoseAddedEventOvertakesItsCreateIsStillReconciledAfterItsRegistration() {
    AtomicReference<KubernetesMode> running = new AtomicReference<>();
    AtomicBoolean overtaken = new AtomicBoolean();
    Interceptor holdCreate =
        new Interceptor() {
          @Override
          public AsyncBody.Consumer<List<ByteBuffer>> consumer(
              AsyncBody.Consumer<List<ByteBuffer>> consumer, HttpRequest request) {
            KubernetesMode m = running.get();
            if (m == null
                || !request.method().equals("POST")
                || !request.uri().getPath().equals(WORKERS_PATH)) {
              return consumer;
            }
            long before = m.reconciler().reconciles();
            return (value, body) -> {
              // Holds the web tier's client (the store's informer too); the operator's goes on.
              long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
              while (m.reconciler().reconciles() == before && System.nanoTime() < deadline) {
                Thread.sleep(5);
              }
              overtaken.compareAndSet(false, m.reconciler().reconciles() > before);
              consumer.consume(value, body);
            };
          }
        };
    start(
        Map.of("RMA_HEARTBEAT_INTERVAL", "1s", "RMA_OFFLINE_AFTER", "5s", "RMA_PRUNE_AFTER", "1h"),
        b -> b.withHttpClientBuilderConsumer(h -> h.addOrReplaceInterceptor("hold", holdCreate)));
    running.set(mode);

    JsonNode w = api.register(CPU_WORKER);
    assertThat(overtaken).as("ADDED was reconciled before the create returned").isTrue();

    // Silent from now on: the reconcile after registration schedules its Offline, which happens
    // without anything else waking the reconciler.
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(phase(w)).isEqualTo(WorkerPhase.Offline));
    // The web tier wrote the first status (with the worker's credential); nobody wrote one
    // without it before, and nothing was refused.
    List<String> statusWrites = statusPatchBodies(w);
    assertThat(statusWrites)
        .as("status patches in %s", cluster.answers)
        .isNotEmpty()
        .allMatch(b -> b.contains("credentialHash"));
    assertThat(cluster.answered(409)).isZero();
  }

  @Test
  void aHundredRegistrationsAndTheirHeartbeatsMeetNoWriteConflict() {
    start(Map.of(), b -> {});
    List<JsonNode> workers = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      workers.add(api.register(i % 2 == 0 ? CPU_WORKER : KubernetesModeTest.GPU_WORKER));
    }
    // Steady state: beats, and a reconcile of everyone after each round.
    for (int round = 0; round < 3; round++) {
      for (JsonNode w : workers) {
        assertThat(api.heartbeat(w, 0.3)).isEqualTo(200);
      }
      mode.reconcileAll();
    }
    await()
        .untilAsserted(
            () ->
                assertThat(
                        cluster
                            .client
                            .resources(RMAWorker.class)
                            .inNamespace(MockCluster.NAMESPACE)
                            .list()
                            .getItems())
                    .hasSize(100)
                    .allSatisfy(
                        x -> {
                          assertThat(x.getStatus().getPhase()).isEqualTo(WorkerPhase.Healthy);
                          assertThat(x.getStatus().getCredentialHash()).hasSize(64);
                        }));
    List<MockCluster.Answer> conflicts =
        cluster.answers.stream().filter(a -> a.code() == 409).toList();
    System.getLogger(RegistrationRaceTest.class.getName())
        .log(
            System.Logger.Level.INFO,
            "100 registrations, 300 heartbeats: "
                + cluster.answers.size()
                + " API answers, "
                + conflicts.size()
                + " of them 409");
    assertThat(conflicts).isEmpty();
  }

  private WorkerPhase phase(JsonNode worker) {
    RMAWorker w =
        cluster
            .client
            .resources(RMAWorker.class)
            .inNamespace(MockCluster.NAMESPACE)
            .withName(worker.get("worker_id").asText())
            .get();
    return w == null || w.getStatus() == null ? null : w.getStatus().getPhase();
  }

  /** The status patches of {@code worker} that the API server accepted. */
  private List<String> statusPatchBodies(JsonNode worker) {
    String path = WORKERS_PATH + "/" + worker.get("worker_id").asText() + "/status";
    return cluster.answers.stream()
        .filter(a -> a.method().equals("PATCH") && a.path().startsWith(path) && a.code() / 100 == 2)
        .map(MockCluster.Answer::body)
        .toList();
  }
}
