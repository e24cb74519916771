package io.rma.coordinator.runtime;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.kubernetes.KubernetesWorkerStore;
import io.rma.coordinator.kubernetes.LeaderPod;
import io.rma.coordinator.kubernetes.Leadership;
import io.rma.coordinator.kubernetes.OperatorMetrics;
import io.rma.coordinator.kubernetes.RMAWorkerReconciler;
import io.rma.coordinator.kubernetes.WorkerEvents;
import io.rma.coordinator.pool.HealthLoop;
import io.rma.coordinator.pool.Pool;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The coordinator in Kubernetes mode: the web tier on a {@link KubernetesWorkerStore}, and a JOSDK
 * operator running {@link RMAWorkerReconciler} in place of the standalone health loop.
 *
 * <p>With leader election (on unless {@code RMA_LEADER_ELECTION=false}) the replicas share a Lease
 * in their pod's namespace; the leader reconciles, serves {@code /api/...}, and labels its own pod
 * {@code rma.io/leader=true}, which the Service selects. Standbys keep their informers warm and
 * answer {@code /api/...} with 503. Without election the one replica leads, and labels its pod,
 * from the start. See docs/kubernetes.md for the failover time.
 */
public final class KubernetesMode implements AutoCloseable {
  private static final Logger LOG = System.getLogger(KubernetesMode.class.getName());

  /** The Lease's default name ({@code RMA_LEASE_NAME}). */
  public static final String LEASE_NAME = CoordinatorConfig.DEFAULT_LEASE_NAME;

  public static final String LEADER_LABEL = LeaderPod.LEADER_LABEL;

  /**
   * How this replica takes part in leader election, and which pod it runs in.
   *
   * @param enabled false for a single replica (and most tests): it leads from the start
   * @param leaseName the Lease the replicas share
   * @param identity this replica's name in the Lease
   * @param podName the pod to label as leader, if running in one
   * @param podNamespace that pod's namespace, which also holds the Lease; empty: the Lease is in
   *     the workers' namespace and the pod in the client's namespace
   * @param onLostLease what to do when the Lease is lost while running (production: exit)
   */
  public record Election(
      boolean enabled,
      String leaseName,
      String identity,
      Duration leaseDuration,
      Duration renewDeadline,
      Duration retryPeriod,
      Optional<String> podName,
      Optional<String> podNamespace,
      Runnable onLostLease) {

    public static Election off() {
      return new Election(
          false,
          LEASE_NAME,
          "standalone-" + UUID.randomUUID(),
          null,
          null,
          null,
          Optional.empty(),
          Optional.empty(),
          () -> {});
    }

    /**
     * From the configuration ({@code RMA_LEADER_ELECTION}, {@code RMA_LEASE_NAME}) and the pod's
     * downward API ({@code POD_NAME}, else {@code HOSTNAME} in a pod; {@code POD_NAMESPACE}), with
     * JOSDK's default timings (15 s lease, 10 s renew deadline, 2 s retry). The process exits when
     * the Lease is lost. Without election the replica leads alone, and still labels its pod.
     */
    public static Election fromEnvironment(
        CoordinatorConfig config, Map<String, String> env, boolean inCluster) {
      Optional<String> pod =
          nonBlank(env.get("POD_NAME"))
              .or(() -> inCluster ? nonBlank(env.get("HOSTNAME")) : Optional.empty());
      return new Election(
          config.leaderElection(),
          config.leaseName(),
          pod.orElseGet(() -> "rma-" + UUID.randomUUID()),
          LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
          LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
          LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE,
          pod,
          nonBlank(env.get("POD_NAMESPACE")),
          () -> Thread.ofPlatform().start(() -> System.exit(1)));
    }

    /** The same, with another reaction to losing the Lease (tests must not exit the JVM). */
    public Election withOnLostLease(Runnable onLostLease) {
      return new Election(
          enabled,
          leaseName,
          identity,
          leaseDuration,
          renewDeadline,
          retryPeriod,
          podName,
          podNamespace,
          onLostLease);
    }

    private static Optional<String> nonBlank(String s) {
      return Optional.ofNullable(s).map(String::trim).filter(v -> !v.isEmpty());
    }
  }

  private final KubernetesClient client;
  private final String namespace;
  private final Election election;
  private final String leaseNamespace;
  private final KubernetesWorkerStore store;
  private final Coordinator coordinator;
  private final Leadership leadership;
  private final LeaderPod pod;
  private final RMAWorkerReconciler reconciler;
  private final Operator operator;
  private Server server;

  private KubernetesMode(
      CoordinatorConfig config,
      KubernetesClient webClient,
      KubernetesClient client,
      Clock clock,
      Election election) {
    this.client = client;
    this.namespace = config.namespace();
    this.election = election;
    this.leaseNamespace = election.podNamespace().orElse(namespace);
    this.store = new KubernetesWorkerStore(webClient, namespace).start(Duration.ofSeconds(60));
    this.leadership =
        election.enabled()
            ? new Leadership(false, this::takeOver, election.onLostLease())
            : Leadership.alone();
    // The pod's own namespace (POD_NAMESPACE, else the client's: in a pod, the service account's),
    // which RMA_NAMESPACE need not be.
    this.pod =
        new LeaderPod(
            client,
            election.podName(),
            election
                .podNamespace()
                .or(() -> Optional.ofNullable(client.getNamespace()))
                .orElse(namespace));
    this.coordinator = new Coordinator(config, store, clock, "kubernetes", leadership::isLeader);
    Pool pool = coordinator.pool();
    WorkerEvents events = new WorkerEvents(client, clock, election.identity());
    HealthLoop loop = coordinator.loop(); // not started here: its gate and log are shared
    loop.lifecycle().listen(events.poolNews(namespace, election.leaseName()));
    this.reconciler =
        new RMAWorkerReconciler(
            store,
            pool,
            coordinator.phases(),
            coordinator.statuses(),
            config.health(),
            events,
            leadership,
            coordinator.tasks().completions(),
            loop.pruneGate(),
            loop.lifecycle(),
            config.loopInterval());
    // A worker deleted behind our back (kubectl delete) takes its heartbeat with it; unregister
    // and prune forget it themselves, and forgetting twice is harmless.
    store.onGone(
        name -> {
          pool.heartbeats().forget(name);
          reconciler.forget(name);
        });
    // After the web tier's create and first status (or a re-registration, a drain), the
    // reconciler looks again: its own reconcile of that worker stepped aside meanwhile, and a
    // status write does not move the generation, so JOSDK would not wake it.
    store.onSaved(reconciler::nudge);
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
                  .withStopOnInformerErrorDuringStartup(true)
                  .withMetrics(new OperatorMetrics(leadership::isLeader));
              if (election.enabled()) {
                o.withLeaderElectionConfiguration(
                    new LeaderElectionConfiguration(
                        election.leaseName(),
                        leaseNamespace,
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
    return start(config, client, client, clock, election, port);
  }

  /**
   * The same, with the web tier's store on {@code webClient} and the operator (its informer, status
   * writes, Events, leader election, the pod label) on {@code client}: one client does for both;
   * tests hold one side back to force an ordering.
   */
  public static KubernetesMode start(
      CoordinatorConfig config,
      KubernetesClient webClient,
      KubernetesClient client,
      Clock clock,
      Election election,
      int port) {
    KubernetesMode mode = new KubernetesMode(config, webClient, client, clock, election);
    try {
      // Without election this replica leads from the start. With it, the label waits for the
      // takeover, and a label a previous run of this pod left behind is removed first.
      mode.pod.label(!election.enabled());
      mode.reconciler.start();
      mode.operator.start();
      mode.server = mode.coordinator.startServer(port);
      // Pull-worker tasks live in this replica's memory (docs/tasks.md); their sweep takes back
      // leases of workers gone Offline and expires what waited too long, as in standalone mode.
      mode.coordinator.tasks().start(config.loopInterval());
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
              Election.fromEnvironment(config, env, ModeSelection.inCluster(env, Files::exists)),
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
            + (mode.election.enabled()
                ? ", waiting for Lease " + mode.leaseNamespace + "/" + config.leaseName()
                : ", leader election off")
            + ") listening on port "
            + mode.server.port()
            + "; dashboard at "
            + Main.dashboardUrl(config, mode.server.port()));
  }

  public Coordinator coordinator() {
    return coordinator;
  }

  public Server server() {
    return server;
  }

  public Leadership leadership() {
    return leadership;
  }

  public KubernetesWorkerStore store() {
    return store;
  }

  public RMAWorkerReconciler reconciler() {
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
    pod.label(true);
  }

  @Override
  public void close() {
    boolean wasLeader = leadership.isLeader();
    leadership.stopping();
    if (server != null) {
      server.stop();
    }
    operator.stop();
    reconciler.close();
    if (wasLeader) {
      pod.label(false);
      if (election.enabled()) {
        pod.releaseLease(leaseNamespace, election.leaseName(), election.identity());
      }
    }
    coordinator.close();
  }
}
