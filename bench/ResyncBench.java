import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.rma.coordinator.api.v1alpha1.Capabilities;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.kubernetes.KubernetesWorkerStore;
import io.rma.coordinator.pool.Heartbeats;
import io.rma.coordinator.pool.ServiceAssignmentPolicy;
import io.rma.coordinator.pool.TierPolicy;
import io.rma.coordinator.pool.WorkerStatusPolicy;
import io.rma.coordinator.runtime.KubernetesMode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Kubernetes mode's operator on fabric8's mock API server (CRUD mode, the checked-in CRD): how long
 * a full resync of N RMAWorker objects takes (the operator starts with N objects in the namespace
 * and reconciles each once), and how many reconciles per second it makes when every worker is
 * nudged again. Not a test: prints numbers. Run with bench/resync.sh.
 *
 * <p>The objects carry the status registration writes (tier, services, Healthy, Ready condition),
 * and the clock stands still, so a reconcile decides and writes nothing: the figures are the cost
 * of deciding.
 */
public final class ResyncBench {
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    int workers = Integer.parseInt(opts.getOrDefault("workers", "10000"));
    Duration maxWait = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("max-wait", "600")));
    String namespace = "bench";

    KubernetesMockServer server = crudServer();
    try (NamespacedKubernetesClient client = server.createClient()) {
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .load(Path.of("crds/rmaworkers.rma.io-v1.yml").toFile())
          .create();
      CoordinatorConfig config = ConfigLoader.load(Map.of("RMA_NAMESPACE", namespace));
      // A clock that stands still: nobody goes stale however long the run takes.
      Clock clock = Clock.fixed(Instant.now(), java.time.ZoneOffset.UTC);
      long t0 = System.nanoTime();
      populate(client, namespace, config, workers, clock.instant());
      System.out.printf(
          "created %d RMAWorker objects (create + status patch each) in %.1f s%n",
          workers, seconds(t0));

      long start = System.nanoTime();
      KubernetesMode mode =
          KubernetesMode.start(config, client, clock, KubernetesMode.Election.off(), 0);
      try {
        LongSupplier done = mode.reconciler()::reconciles;
        boolean all = waitFor(done, workers, maxWait, "resync");
        System.out.printf(
            "full resync: %d of %d workers reconciled in %.2f s from operator start (%.0f"
                + " reconciles/s)%s%n",
            done.getAsLong(),
            workers,
            seconds(start),
            done.getAsLong() / seconds(start),
            all ? "" : " (gave up after " + maxWait.toSeconds() + " s)");
        if (all) {
          long before = done.getAsLong();
          long again = System.nanoTime();
          mode.reconcileAll();
          boolean second = waitFor(() -> done.getAsLong() - before, workers, maxWait, "nudged");
          System.out.printf(
              "every worker nudged: %d reconciles in %.2f s = %.0f reconciles/s%s%n",
              done.getAsLong() - before,
              seconds(again),
              (done.getAsLong() - before) / seconds(again),
              second ? "" : " (gave up)");
        }
        Runtime rt = Runtime.getRuntime();
        System.gc();
        System.out.printf(
            "heap used after GC: %d MiB (mock server, its %d objects, both informers)%n",
            (rt.totalMemory() - rt.freeMemory()) >> 20, workers);
      } finally {
        mode.close();
      }
    } finally {
      server.destroy();
    }
    System.exit(0);
  }

  private static boolean waitFor(LongSupplier count, long target, Duration max, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    long lastPrint = System.nanoTime();
    while (count.getAsLong() < target) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
      if (System.nanoTime() - lastPrint > TimeUnit.SECONDS.toNanos(10)) {
        lastPrint = System.nanoTime();
        System.out.printf("  %s: %d of %d%n", what, count.getAsLong(), target);
      }
    }
    return true;
  }

  /** What registration stores: a create, then the status the web tier decided. */
  private static void populate(
      NamespacedKubernetesClient client,
      String namespace,
      CoordinatorConfig config,
      int n,
      Instant now)
      throws InterruptedException {
    WorkerStatusPolicy statuses =
        new WorkerStatusPolicy(
            new TierPolicy(config.tiers()), new ServiceAssignmentPolicy(config.catalogue()));
    KubernetesWorkerStore store =
        new KubernetesWorkerStore(client, namespace).start(Duration.ofSeconds(60));
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    for (int t = 0; t < 8; t++) {
      pool.execute(
          () -> {
            int i;
            while ((i = next.getAndIncrement()) < n) {
              Capabilities c = new Capabilities();
              c.setCpuCores(8);
              c.setRam("32GB");
              RMAWorkerSpec spec = new RMAWorkerSpec();
              spec.setCapabilities(c);
              spec.setIpAddress("10.1." + (i / 250) + "." + (i % 250 + 1));
              RMAWorker w = new RMAWorker(String.format("worker-%012x", i), spec);
              RMAWorkerStatus s =
                  statuses.desired(
                      1,
                      spec,
                      null,
                      WorkerPhase.Healthy,
                      new Heartbeats.Beat(now, false, 0.0, null),
                      Map::of,
                      now);
              s.setRegisteredAt(now.toString());
              s.setCredentialHash("ab".repeat(32));
              w.setStatus(s);
              store.save(w);
            }
          });
    }
    pool.shutdown();
    pool.awaitTermination(1, TimeUnit.HOURS);
    store.close();
  }

  private static KubernetesMockServer crudServer() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses),
            false);
    server.init();
    return server;
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
