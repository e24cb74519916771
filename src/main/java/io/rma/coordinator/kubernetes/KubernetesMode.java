package io.rma.coordinator.kubernetes;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.helidon.webserver.WebServer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.health.Pool;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.runtime.CoordinatorConfig;
import io.rma.coordinator.runtime.ModeSelection;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The coordinator in Kubernetes mode: the web tier on a {@link KubernetesWorkerStore}, and a JOSDK
 * operator running {@link RMAWorkerReconciler} in place of the standalone health loop.
 *
 * <p>With leader election (always, in a cluster) the replicas share a Lease; the leader reconciles,
 * serves {@code /api/...}, and labels its own pod {@code rma.io/leader=true}, which the Service
 * selects. Standbys keep their informers warm and answer {@code /api/...} with 503. See
 * docs/kubernetes.md for the failover time.
 */
public final class KubernetesMode implements AutoCloseable {
  private static final Logger LOG = System.getLogger(KubernetesMode.class.getName());

  public static final String LEASE_NAME = "rma-coordinator";
  public static final String LEADER_LABEL = "rma.io/leader";

  /**
   * How this replica takes part in leader election.
   *
   * @param enabled false for a single replica (and most tests): it leads from the start
   * @param identity this replica's name in the Lease
   * @param podName the pod to label as leader, if running in one
   * @param onLostLease what to do when the Lease is lost while running (production: exit)
   */
  public record Election(
      boolean enabled,
      String identity,
      Duration leaseDuration,
      Duration renewDeadline,
      Duration retryPeriod,
      Optional<String> podName,
      Runnable onLostLease) {

    public static Election off() {
      return new Election(
          false, "standalone-" + UUID.randomUUID(), null, null, null, Optional.empty(), () -> {});
    }

    /**
     * JOSDK's default timings (15 s lease, 10 s renew deadline, 2 s retry); the process exits when
     * the Lease is lost.
     */
    public static Election fromEnvironment(Map<String, String> env, boolean inCluster) {
      Optional<String> pod =
          Optional.ofNullable(env.get("POD_NAME"))
              .or(() -> inCluster ? Optional.ofNullable(env.get("HOSTNAME")) : Optional.empty())
              .filter(s -> !s.isBlank());
      return new Election(
          true,
          pod.orElseGet(() -> "rma-" + UUID.randomUUID()),
          LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
          LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
          LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE,
          pod,
          () -> Thread.ofPlatform().start(() -> System.exit(1)));
    }
  }

  private final KubernetesClient client;
  private final String namespace;
  private final Election election;
  private final KubernetesWorkerStore store;
  private final Coordinator coordinator;
  private final Leadership leadership;
  private final RMAWorkerReconciler reconciler;
  private final Operator operator;
  private WebServer server;

  private KubernetesMode(
      CoordinatorConfig config, KubernetesClient client, Clock clock, Election election) {
    this.client = client;
    this.namespace = config.namespace();
    this.election = election;
    this.store = new KubernetesWorkerStore(client, namespace).start(Duration.ofSeconds(60));
    this.leadership =
        election.enabled()
            ? new Leadership(false, this::takeOver, election.onLostLease())
            : Leadership.alone();
    this.coordinator = new Coordinator(config, store, clock, "kubernetes", leadership::isLeader);
    Pool pool = coordinator.pool();
    this.reconciler =
        new RMAWorkerReconciler(
            store,
            pool,
            coordinator.phases(),
            coordinator.statuses(),
            config.health(),
            new WorkerEvents(client, clock, election.identity()),
            leadership);
    pool.heartbeats()
        .onRecord(
            (name, beat) ->
                store
                    .get(name)
                    .filter(w -> phaseChanges(w, beat.at()))
                    .ifPresent(w -> reconciler.nudge(name)));
    this.operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withUseSSAToPatchPrimaryResource(false)
                  .withSSABasedCreateUpdateMatchForDependentResources(false)
                  .withCloseClientOnStop(false)
                  .withStopOnInformerErrorDuringStartup(true);
              if (election.enabled()) {
                o.withLeaderElectionConfiguration(
                    new LeaderElectionConfiguration(
                        LEASE_NAME,
                        namespace,
                        election.leaseDuration(),
                        election.renewDeadline(),
                        election.retryPeriod(),
                        election.identity(),
                        leadership.callbacks(election.identity()),
                        false));
              }
            });
    operator.register(
        reconciler,
        c ->
            c.settingNamespace(namespace)
                .withReconciliationMaxInterval(config.health().statusKeepalive()));
  }

  /**
   * Starts the operator and the HTTP server on {@code port} (0 = any free port). The caller keeps
   * ownership of {@code client}.
   */
  public static KubernetesMode start(
      CoordinatorConfig config, KubernetesClient client, Clock clock, Election election, int port) {
    KubernetesMode mode = new KubernetesMode(config, client, clock, election);
    try {
      mode.label(false);
      mode.operator.start();
      mode.server = mode.coordinator.startServer(port);
      return mode;
    } catch (RuntimeException e) {
      mode.close();
      throw e;
    }
  }

  /**
   * Main's entry to Kubernetes mode: connects with the client's usual discovery (in-cluster service
   * account, else KUBECONFIG / ~/.kube/config), starts, and stops cleanly on SIGTERM. Exits with
   * status 1 when the API server or the CRD is not there.
   */
  public static void runUntilShutdown(
      CoordinatorConfig config, Map<String, String> env, String reason) {
    KubernetesClient client = new KubernetesClientBuilder().build();
    KubernetesMode mode;
    try {
      mode =
          start(
              config,
              client,
              Clock.systemUTC(),
              Election.fromEnvironment(env, ModeSelection.inCluster(env, Files::exists)),
              config.port());
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "cannot start in Kubernetes mode: " + e.getMessage(), e);
      client.close();
      System.exit(1);
      return;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            Thread.ofPlatform()
                .unstarted(
                    () -> {
                      mode.close();
                      client.close();
                    }));
    LOG.log(
        Level.INFO,
        "RMA Coordinator "
            + Coordinator.VERSION
            + " (kubernetes: "
            + reason
            + "; API server "
            + client.getMasterUrl()
            + ", namespace "
            + config.namespace()
            + ", "
            + mode.store.list().size()
            + " workers, identity "
            + mode.election.identity()
            + (mode.election.enabled() ? ", waiting for the lease" : "")
            + ") listening on port "
            + mode.server.port());
  }

  public Coordinator coordinator() {
    return coordinator;
  }

  public WebServer server() {
    return server;
  }

  public Leadership leadership() {
    return leadership;
  }

  public KubernetesWorkerStore store() {
    return store;
  }

  RMAWorkerReconciler reconciler() {
    return reconciler;
  }

  /** Asks the reconciler to look at every worker now (tests move the clock, then call this). */
  public void reconcileAll() {
    store.list().forEach(w -> reconciler.nudge(w.getMetadata().getName()));
  }

  /** A beat changes the phase the status shows (e.g. Offline to Healthy): worth a reconcile now. */
  private boolean phaseChanges(RMAWorker w, Instant at) {
    Pool pool = coordinator.pool();
    WorkerPhase now = coordinator.phases().phase(pool.member(w), at, pool.startedAt());
    return w.getStatus() == null || w.getStatus().getPhase() != now;
  }

  /** Runs when this replica wins the Lease, before it reconciles or serves anything. */
  private void takeOver() {
    // The heartbeats the old leader held are gone: give every worker one grace period to beat.
    coordinator.pool().restartGrace();
    label(true);
  }

  /** Marks (or unmarks) this replica's pod as the one the Service should send traffic to. */
  private void label(boolean leader) {
    if (election.podName().isEmpty()) {
      return;
    }
    String pod = election.podName().get();
    // The pod lives in the client's namespace (its own), which RMA_NAMESPACE need not be.
    String podNamespace = Optional.ofNullable(client.getNamespace()).orElse(namespace);
    String patch =
        "{\"metadata\":{\"labels\":{\""
            + LEADER_LABEL
            + "\":"
            + (leader ? "\"true\"" : "null")
            + "}}}";
    try {
      client
          .pods()
          .inNamespace(podNamespace)
          // With an item at hand fabric8 patches without a GET first: only "patch pods" is needed.
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withName(pod)
                  .withNamespace(podNamespace)
                  .endMetadata()
                  .build())
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    } catch (KubernetesClientException e) {
      LOG.log(
          leader ? Level.ERROR : Level.WARNING,
          "cannot " + (leader ? "set" : "remove") + " label " + LEADER_LABEL + " on pod " + pod,
          e);
    }
  }

  /** Gives up the Lease so a standby takes over within one retry period, not a lease duration. */
  private void releaseLease() {
    try {
      LeaseLock lock = new LeaseLock(namespace, LEASE_NAME, election.identity());
      LeaderElectionRecord current = lock.get(client);
      if (current != null && election.identity().equals(current.getHolderIdentity())) {
        ZonedDateTime now = ZonedDateTime.now();
        lock.update(
            client,
            new LeaderElectionRecord(
                election.identity(),
                Duration.ofSeconds(1),
                now,
                now,
                current.getLeaderTransitions()));
        LOG.log(Level.INFO, election.identity() + " released the lease");
      }
    } catch (KubernetesClientException e) {
      LOG.log(Level.WARNING, "could not release the lease: " + e.getMessage());
    }
  }

  @Override
  public void close() {
    boolean wasLeader = leadership.isLeader();
    leadership.stopping();
    if (server != null) {
      server.stop();
    }
    operator.stop();
    if (election.enabled() && wasLeader) {
      label(false);
      releaseLease();
    }
    coordinator.close();
  }
}
