package io.rma.coordinator.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.runtime.KubernetesMode;
import io.rma.coordinator.testing.Api;
import io.rma.coordinator.testing.MutableClock;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Kubernetes mode end to end: the real REST API on a real Helidon server, the Kubernetes store and
 * the JOSDK operator, against fabric8's mock API server in CRUD mode. Default timings (30 s
 * heartbeats, Offline after 90 s, pruned after 30 min, 5 min status keepalive) on a clock the test
 * moves; the test asks for reconciles where the operator's timers would fire.
 */
class KubernetesModeTest {
  private static final Logger LOG = System.getLogger(KubernetesModeTest.class.getName());
  static final String GPU_WORKER =
      "{\"capabilities\":{\"cpu_cores\":8,\"ram\":\"31.2GB\",\"gpu_type\":\"NVIDIA RTX 4090\","
          + "\"gpu_memory\":\"24564MB\"},\"ip_address\":\"10.0.0.5\",\"port\":8000}";
  static final String CPU_WORKER =
      "{\"capabilities\":{\"cpu_cores\":4,\"ram\":\"16GB\"},\"ip_address\":\"10.0.0.6\"}";

  private MockCluster cluster;
  private MutableClock clock;
  private KubernetesMode mode;
  private Api api;

  @BeforeEach
  void start() {
    cluster = new MockCluster();
    clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    CoordinatorConfig config = ConfigLoader.load(Map.of("RMA_NAMESPACE", MockCluster.NAMESPACE));
    mode = KubernetesMode.start(config, cluster.client, clock, KubernetesMode.Election.off(), 0);
    api = new Api(mode.server().port());
  }

  @AfterEach
  void stop() {
    mode.close();
    cluster.close();
  }

  @Test
  void aPullWorkersResultIsCountedInItsStatus() {
    JsonNode w =
        api.register(
            "{\"capabilities\":{\"cpu_cores\":4,\"ram\":\"16GB\"},\"mode\":\"pull\","
                + "\"services\":[\"rag\"]}");
    String id = w.get("worker_id").asText();
    String token = w.get("worker_token").asText();
    // Queued by the rag route (no push worker), picked up by the pull worker, answered.
    var client =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> api.post("/api/inference/rag/query?query=q", "", null));
    await()
        .untilAsserted(
            () -> {
              JsonNode tasks =
                  api.get("/api/worker/tasks?worker_id=" + id + "&wait=0", token).body();
              assertThat(tasks.get("tasks")).hasSize(1);
              String task = tasks.get("tasks").get(0).get("task_id").asText();
              assertThat(
                      api.post(
                              "/api/worker/tasks/" + task + "/result",
                              "{\"worker_id\":\"" + id + "\",\"attempt\":1,\"result\":{\"a\":1}}",
                              token)
                          .status())
                  .isEqualTo(200);
            });
    assertThat(client.join().status()).isEqualTo(200);
    mode.reconcileAll();
    await().untilAsserted(() -> assertThat(stored(w).getStatus().getTasksCompleted()).isEqualTo(1));
  }

  @Test
  void registerCreatesTheWorkerWithTierAndServicesInItsStatus() {
    JsonNode gpu = api.register(GPU_WORKER);
    JsonNode cpu = api.register(CPU_WORKER);

    RMAWorker stored = stored(gpu);
    assertThat(stored.getSpec().getCapabilities().getGpuMemory()).isEqualTo("24564MB");
    assertThat(stored.getStatus().getTier()).isEqualTo(1);
    assertThat(stored.getStatus().getAssignedServices()).containsExactly("vllm");
    assertThat(stored.getStatus().getPhase()).isEqualTo(WorkerPhase.Healthy);
    assertThat(stored.getStatus().getCredentialHash()).hasSize(64);
    assertThat(stored.getStatus().getObservedGeneration())
        .isEqualTo(stored.getMetadata().getGeneration());
    assertThat(stored(cpu).getStatus().getTier()).isEqualTo(2);
    assertThat(stored(cpu).getStatus().getAssignedServices()).containsExactly("upload");
    assertThat(gpu.get("tier").asInt()).isEqualTo(1);
    assertThat(gpu.get("assigned_containers").get(0).get("name").asText()).isEqualTo("vllm");
    // The worker may beat at once: the store reads its own write before the informer has it.
    assertThat(api.heartbeat(gpu, 0.2)).isEqualTo(200);
  }

  @Test
  void silentWorkerGoesOfflineAndIsPrunedAfterThePruneWindow() {
    JsonNode w = api.register(GPU_WORKER);

    clock.advance(Duration.ofSeconds(100));
    mode.reconcileAll();
    await().untilAsserted(() -> assertThat(phase(w)).isEqualTo(WorkerPhase.Offline));
    assertThat(stored(w).getStatus().getConditions().get(0).getReason())
        .isEqualTo("HeartbeatMissed");
    assertThat(api.get("/api/admin/stats").body().get("offline_workers").asInt()).isEqualTo(1);
    await().untilAsserted(() -> assertThat(eventReasons(w)).contains("WorkerOffline"));

    clock.advance(Duration.ofMinutes(29));
    mode.reconcileAll();
    await().untilAsserted(() -> assertThat(stored(w)).isNull());
    await().untilAsserted(() -> assertThat(eventReasons(w)).contains("WorkerPruned"));
    assertThat(api.heartbeat(w, 0.1)).isEqualTo(404);

    // JOSDK's metrics hook and the prune counter, in Helidon's registry.
    String metrics = metrics();
    assertThat(metrics)
        .containsPattern("rma_reconciles_total\\{[^}]*outcome=\"success\"[^}]*} [1-9]")
        .containsPattern("rma_reconcile_duration_seconds_count(\\{[^}]*})? [1-9]")
        .containsPattern("rma_workers_pruned_total(\\{[^}]*})? [1-9]")
        .containsPattern("rma_leader(\\{[^}]*})? 1")
        .containsPattern("rma_pruning_paused(\\{[^}]*})? 0");
  }

  private String metrics() {
    try {
      return java.net.http.HttpClient.newHttpClient()
          .send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create(
                          "http://127.0.0.1:" + mode.server().port() + "/observe/metrics"))
                  .header("Accept", "text/plain")
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void anOfflineWorkerWithNothingToWriteWaitsForItsPruneTime() {
    JsonNode w = api.register(CPU_WORKER);
    clock.advance(Duration.ofSeconds(100));
    mode.reconcileAll();
    await().untilAsserted(() -> assertThat(phase(w)).isEqualTo(WorkerPhase.Offline));
    // Past the keepalive with nothing new to write: the next reconcile is due at the prune time
    // (real minutes away), not in a one-second loop.
    clock.advance(Duration.ofMinutes(6));
    RMAWorkerReconciler reconciler = mode.reconciler();
    long before = reconciler.reconciles();
    mode.reconcileAll();
    await().until(() -> reconciler.reconciles() > before);
    long after = reconciler.reconciles();
    await()
        .during(Duration.ofMillis(2500))
        .atMost(Duration.ofSeconds(15))
        .until(() -> reconciler.reconciles() == after);
  }

  @Test
  void heartbeatBeforeThePruneWindowMakesAnOfflineWorkerHealthyAgain() {
    JsonNode w = api.register(CPU_WORKER);
    clock.advance(Duration.ofMinutes(10));
    mode.reconcileAll();
    await().untilAsserted(() -> assertThat(phase(w)).isEqualTo(WorkerPhase.Offline));

    // No reconcileAll here: the heartbeat itself wakes the reconciler.
    assertThat(api.heartbeat(w, 0.3)).isEqualTo(200);
    await().untilAsserted(() -> assertThat(phase(w)).isEqualTo(WorkerPhase.Healthy));
    assertThat(stored(w).getStatus().getLoad()).isEqualTo(0.3);
    await().untilAsserted(() -> assertThat(eventReasons(w)).contains("WorkerHealthy"));
  }

  @Test
  void unregisterDeletesTheObject() {
    JsonNode w = api.register(CPU_WORKER);
    String id = w.get("worker_id").asText();

    assertThat(api.delete("/api/worker/unregister/" + id, w.get("worker_token").asText()).status())
        .isEqualTo(200);

    assertThat(stored(w)).isNull();
    // Gone for the web tier at once, before the informer has seen the deletion.
    assertThat(api.get("/api/admin/workers").body().get("total").asInt()).isZero();
    assertThat(api.heartbeat(w, 0.1)).isEqualTo(404);
  }

  @Test
  void aWorkerDeletedWithKubectlTakesItsHeartbeatWithIt() {
    JsonNode w = api.register(CPU_WORKER);
    JsonNode other = api.register(GPU_WORKER);
    String id = w.get("worker_id").asText();
    assertThat(api.heartbeat(w, 0.4)).isEqualTo(200);
    var heartbeats = mode.coordinator().pool().heartbeats();
    assertThat(heartbeats.last(id)).isPresent();

    // What `kubectl delete rmaworker ID` sends: the coordinator learns of it from its informer.
    cluster
        .client
        .resources(RMAWorker.class)
        .inNamespace(MockCluster.NAMESPACE)
        .withName(id)
        .delete();

    await().untilAsserted(() -> assertThat(heartbeats.last(id)).isEmpty());
    assertThat(heartbeats.last(other.get("worker_id").asText())).isPresent();
    assertThat(heartbeats.size()).isEqualTo(1);
    assertThat(api.heartbeat(w, 0.4)).isEqualTo(404);
  }

  @Test
  void drainSetOnTheObjectTakesTheWorkerOutOfRotation() {
    JsonNode w = api.register(GPU_WORKER);

    // What `kubectl patch rmaworker ID --type merge -p '{"spec":{"drain":true}}'` sends.
    cluster
        .client
        .resources(RMAWorker.class)
        .inNamespace(MockCluster.NAMESPACE)
        .withName(w.get("worker_id").asText())
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"drain\":true}}");

    await().untilAsserted(() -> assertThat(phase(w)).isEqualTo(WorkerPhase.Draining));
    assertThat(stored(w).getStatus().getConditions().get(0).getReason()).isEqualTo("Draining");
    assertThat(api.heartbeat(w, 0.1)).isEqualTo(200);
    JsonNode stats = api.get("/api/admin/stats").body();
    assertThat(stats.get("healthy_workers").asInt()).isZero();
    assertThat(stats.get("draining_workers").asInt()).isEqualTo(1);
    assertThat(mode.coordinator().pool().workers().get(0).phase()).isEqualTo(WorkerPhase.Draining);
    await().untilAsserted(() -> assertThat(eventReasons(w)).contains("WorkerDraining"));
  }

  @Test
  void heartbeatsAtSteadyStateMakeAtMostOneApiWriteInTen() throws InterruptedException {
    List<JsonNode> workers = List.of(api.register(GPU_WORKER), api.register(CPU_WORKER));
    RMAWorkerReconciler reconciler = reconciler();
    await().until(() -> reconciler.reconciles() >= workers.size());
    // A worker's first beat with its credential records, once, that it uses it (one write each,
    // RMA_WORKER_AUTH=auto): steady state starts after that.
    for (JsonNode w : workers) {
      assertThat(api.heartbeat(w, 0.25)).isEqualTo(200);
    }
    cluster.takeRequests();

    int heartbeats = 0;
    for (int round = 0; round < 150; round++) {
      clock.advance(Duration.ofSeconds(30));
      for (JsonNode w : workers) {
        assertThat(api.heartbeat(w, 0.25)).isEqualTo(200);
        heartbeats++;
      }
      // Pessimistic: a reconcile of every worker after every round of beats.
      long before = reconciler.reconciles();
      mode.reconcileAll();
      await()
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(2))
          .until(() -> reconciler.reconciles() >= before + workers.size());
    }
    List<RecordedRequest> requests = cluster.takeRequests();
    List<String> writes = new ArrayList<>();
    requests.stream()
        .filter(MockCluster::isWrite)
        .forEach(r -> writes.add(r.getMethod() + " " + r.getPath()));
    double perBeat = (double) writes.size() / heartbeats;
    LOG.log(
        Level.INFO,
        "steady state: "
            + heartbeats
            + " heartbeats, "
            + writes.size()
            + " API writes ("
            + perBeat
            + " per heartbeat), "
            + (requests.size() - writes.size())
            + " reads; writes: "
            + writes.stream().distinct().toList()
            + "; reads: "
            + requests.stream()
                .filter(r -> !MockCluster.isWrite(r))
                .map(r -> r.getMethod() + " " + r.getPath())
                .distinct()
                .toList());
    assertThat(perBeat).isLessThanOrEqualTo(0.1);
    assertThat(writes).allMatch(s -> s.startsWith("PATCH ") && s.endsWith("/status"));
    assertThat(requests.size() - writes.size()).isZero();
  }

  @Test
  void theRestApiAnswersAsInStandaloneMode() {
    CoordinatorConfig config = ConfigLoader.load(Map.of());
    try (Coordinator standalone = Coordinator.standalone(config, clock)) {
      var server = standalone.startServer(0);
      try {
        Api other = new Api(server.port());
        JsonNode k8s = api.register(GPU_WORKER);
        JsonNode local = other.register(GPU_WORKER);
        assertThat(fieldNames(k8s)).isEqualTo(fieldNames(local));
        assertThat(k8s.get("tier")).isEqualTo(local.get("tier"));
        assertThat(k8s.get("assigned_containers")).isEqualTo(local.get("assigned_containers"));
        JsonNode k8sWorker = api.get("/api/admin/workers").body().get("workers").get(0);
        JsonNode localWorker = other.get("/api/admin/workers").body().get("workers").get(0);
        assertThat(fieldNames(k8sWorker)).isEqualTo(fieldNames(localWorker));
        assertThat(fieldNames(api.get("/api/admin/stats").body()))
            .isEqualTo(fieldNames(other.get("/api/admin/stats").body()));
        assertThat(api.get("/api/admin/stats").body().get("mode").asText()).isEqualTo("kubernetes");
      } finally {
        server.stop();
      }
    }
  }

  private RMAWorkerReconciler reconciler() {
    return mode.reconciler();
  }

  private RMAWorker stored(JsonNode worker) {
    return cluster
        .client
        .resources(RMAWorker.class)
        .inNamespace(MockCluster.NAMESPACE)
        .withName(worker.get("worker_id").asText())
        .get();
  }

  private WorkerPhase phase(JsonNode worker) {
    RMAWorker w = stored(worker);
    return w == null || w.getStatus() == null ? null : w.getStatus().getPhase();
  }

  private List<String> eventReasons(JsonNode worker) {
    return cluster
        .client
        .v1()
        .events()
        .inNamespace(MockCluster.NAMESPACE)
        .list()
        .getItems()
        .stream()
        .filter(e -> e.getInvolvedObject().getName().equals(worker.get("worker_id").asText()))
        .map(Event::getReason)
        .toList();
  }

  private static List<String> fieldNames(JsonNode n) {
    return StreamSupport.stream(
            java.util.Spliterators.spliteratorUnknownSize(n.fieldNames(), 0), false)
        .toList();
  }
}
