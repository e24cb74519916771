package io.rma.coordinator.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.common.socket.SocketOptions;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.http.AdminAuth;
import io.rma.coordinator.http.AdminService;
import io.rma.coordinator.http.ApiException;
import io.rma.coordinator.http.ClientRateLimiter;
import io.rma.coordinator.http.ErrorMapping;
import io.rma.coordinator.http.Exchange;
import io.rma.coordinator.http.FastInferencePath;
import io.rma.coordinator.http.HeartbeatService;
import io.rma.coordinator.http.InferenceRouting;
import io.rma.coordinator.http.JsonBodies;
import io.rma.coordinator.http.LoopServer;
import io.rma.coordinator.http.RegistrationGate;
import io.rma.coordinator.http.RegistrationService;
import io.rma.coordinator.http.RootService;
import io.rma.coordinator.http.Router;
import io.rma.coordinator.http.TaskClientService;
import io.rma.coordinator.http.TaskWorkerService;
import io.rma.coordinator.http.WorkerAuthenticator;
import io.rma.coordinator.pool.HealthLoop;
import io.rma.coordinator.pool.Heartbeats;
import io.rma.coordinator.pool.PhasePolicy;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.ServiceAssignmentPolicy;
import io.rma.coordinator.pool.SqliteWorkerRepository;
import io.rma.coordinator.pool.StandaloneWorkerStore;
import io.rma.coordinator.pool.TierPolicy;
import io.rma.coordinator.pool.WorkerStatusPolicy;
import io.rma.coordinator.pool.WorkerStore;
import io.rma.coordinator.security.EndpointPolicy;
import io.rma.coordinator.security.SecuritySettings;
import io.rma.coordinator.tasks.PullDispatcher;
import io.rma.coordinator.tasks.SqliteTaskRepository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The assembled coordinator: configuration, store, policies and HTTP services. {@link
 * #routing(HttpRouting.Builder)} is the seam that Main and the HTTP tests share.
 */
public final class Coordinator implements AutoCloseable {
  public static final String VERSION = "0.1.0";

  private final CoordinatorConfig config;
  private final WorkerStore store;
  private final PhasePolicy phases;
  private final WorkerStatusPolicy statuses;
  private final Pool pool;
  private final HealthLoop loop;
  private final InferenceRouting inference;
  private final PullDispatcher tasks;
  private final TaskClientService taskClients;
  private final String mode;
  private final Clock clock;
  private final EndpointPolicy endpoints;
  private final BooleanSupplier serving;
  private final ClientRateLimiter inferenceRate;

  public Coordinator(CoordinatorConfig config, WorkerStore store, Clock clock, String mode) {
    this(config, store, null, clock, mode, () -> true, EndpointPolicy.Resolver.SYSTEM);
  }

  /**
   * @param serving whether this replica serves {@code /api/...} and {@code /v1/...} now; Kubernetes
   *     mode passes "is the leader", since only the leader holds the heartbeats that phases are
   *     judged from
   */
  public Coordinator(
      CoordinatorConfig config,
      WorkerStore store,
      Clock clock,
      String mode,
      BooleanSupplier serving) {
    this(config, store, null, clock, mode, serving, EndpointPolicy.Resolver.SYSTEM);
  }

  /**
   * @param taskFile where pull-worker tasks are kept across restarts, or null for memory only
   * @param serving whether this replica serves {@code /api/...} and {@code /v1/...} now
   * @param resolver how worker host names are resolved for the SSRF guard (tests replace DNS)
   */
  public Coordinator(
      CoordinatorConfig config,
      WorkerStore store,
      SqliteTaskRepository taskFile,
      Clock clock,
      String mode,
      BooleanSupplier serving,
      EndpointPolicy.Resolver resolver) {
    this.config = config;
    this.store = store;
    this.mode = mode;
    this.clock = clock;
    this.endpoints =
        new EndpointPolicy(
            config.security().allowLoopbackWorkers(),
            config.security().allowPrivateWorkers(),
            resolver);
    this.serving = serving;
    this.inferenceRate =
        new ClientRateLimiter(
            "inference", config.security().inferencePerSecond(), Duration.ofSeconds(1), clock);
    this.phases = new PhasePolicy(config.health());
    this.statuses =
        new WorkerStatusPolicy(
            new TierPolicy(config.tiers()), new ServiceAssignmentPolicy(config.catalogue()));
    this.pool = new Pool(store, new Heartbeats(), phases, clock);
    this.tasks = new PullDispatcher(config.tasks(), pool, taskFile);
    this.loop = new HealthLoop(pool, phases, statuses, config.health(), tasks.completions());
    LifecycleMetrics.watch(loop.lifecycle(), loop.pruneGate());
    this.taskClients = new TaskClientService(tasks, config.catalogue(), config.maxBodyBytes());
    this.inference =
        new InferenceRouting(
            pool,
            config.catalogue(),
            config.routing(),
            endpoints,
            this::queueForPullWorkers,
            clock);
  }

  /** Routing's fallback when no push worker can take a request: the pull workers' queue. */
  private boolean queueForPullWorkers(Router.Call call, Exchange ex) {
    JsonNode request;
    try {
      request = JsonBodies.WIRE.readTree(call.body());
    } catch (IOException e) {
      throw ApiException.badRequest("the request body is not JSON: " + e.getMessage());
    }
    return taskClients.answer(ex, call.service().name(), call.path(), call.model(), request, true);
  }

  /**
   * Standalone mode: workers and pull-worker tasks in memory, and in the SQLite file when
   * DATABASE_PATH is set.
   */
  public static Coordinator standalone(CoordinatorConfig config, Clock clock) {
    SqliteWorkerRepository file =
        config.databasePath().map(SqliteWorkerRepository::new).orElse(null);
    SqliteTaskRepository taskFile =
        config.databasePath().map(SqliteTaskRepository::new).orElse(null);
    return new Coordinator(
        config,
        new StandaloneWorkerStore(file, config.namespace(), clock),
        taskFile,
        clock,
        "standalone",
        () -> true,
        EndpointPolicy.Resolver.SYSTEM);
  }

  public void routing(HttpRouting.Builder routing) {
    ErrorMapping.register(routing);
    SecuritySettings security = config.security();
    WorkerAuthenticator auth = new WorkerAuthenticator(security.workerAuthEnforced());
    RegistrationGate gate =
        new RegistrationGate(
            security,
            auth,
            new ClientRateLimiter(
                "registration", security.registrationsPerMinute(), Duration.ofMinutes(1), clock),
            endpoints);
    routing
        .addFilter(
            (chain, req, res) -> {
              String path = req.path().path();
              if (serving.getAsBoolean()
                  || !(path.startsWith("/api/") || path.startsWith("/v1/"))) {
                chain.proceed();
              } else {
                JsonBodies.send(
                    res,
                    503,
                    Map.of("detail", "this replica is a standby; the leader serves the API"));
              }
            })
        .register("/", new RootService(pool, VERSION, mode))
        .register(
            "/api/worker",
            new RegistrationService(
                pool,
                statuses,
                config.catalogue(),
                auth,
                gate,
                config.health().heartbeatInterval(),
                config.publicUrl(),
                config.maxBodyBytes()),
            new HeartbeatService(
                pool, phases, auth, config.health().heartbeatInterval(), config.maxBodyBytes()),
            new TaskWorkerService(tasks, pool, auth, config.maxBodyBytes()))
        .register("/api/inference", taskClients)
        .register("/api/admin", new AdminService(pool, mode, new AdminAuth(security.adminToken())));
    limitInference(routing);
    inference.routing(routing);
  }

  /** Per-client inference limit, on every request only when one is set. */
  private void limitInference(HttpRouting.Builder routing) {
    if (!inferenceRate.enabled()) {
      return;
    }
    routing.addFilter(
        (chain, req, res) -> {
          String path = req.path().path();
          if (path.startsWith("/api/inference/") || path.startsWith("/v1/")) {
            inferenceRate.acquire(req);
          }
          chain.proceed();
        });
  }

  /**
   * Health and metrics observers: /observe/health/live, /observe/health/ready, /observe/metrics.
   */
  public ObserveFeature observe() {
    return ObserveFeature.builder()
        .addObserver(
            HealthObserver.builder()
                .details(true)
                .addCheck(
                    () ->
                        HealthCheckResponse.builder()
                            .status(store.ready())
                            .detail("store", store.kind())
                            .detail("serving", serving.getAsBoolean())
                            .build(),
                    HealthCheckType.READINESS,
                    "store")
                .build())
        .addObserver(MetricsObserver.create())
        .build();
  }

  /** Starts the HTTP server on {@code port} (0 = any free port) and the health loop. */
  public Server start(int port) {
    Server server = startServer(port);
    loop.start(config.loopInterval());
    tasks.start(config.loopInterval());
    return server;
  }

  /**
   * Starts only the HTTP server: in Kubernetes mode the operator replaces the health loop, and
   * tests drive the loop themselves with a moved clock.
   */
  public Server startServer(int port) {
    boolean loops = config.routing().fastPath() && config.routing().eventLoops() > 0;
    WebServerConfig.Builder server =
        WebServer.builder()
            .port(loops ? 0 : port)
            // Small writes go out at once: streamed tokens are not held back by Nagle's algorithm
            // waiting for the client's delayed ACK.
            .connectionOptions(SocketOptions.builder().tcpNoDelay(true).build());
    if (loops) {
      // Behind the event loops: on loopback only, told each client's address by the loops'
      // PROXY protocol header.
      server.host("127.0.0.1").enableProxyProtocol(true);
    }
    FastInferencePath fast = null;
    if (config.routing().fastPath()) {
      fast = inference.fastPath(serving, inferenceRate);
      server.addConnectionSelector(fast);
    }
    WebServer helidon = helidon(server);
    if (!loops) {
      return new Server(helidon, null);
    }
    try {
      return new Server(
          helidon, LoopServer.start(port, config.routing().eventLoops(), fast, helidon.port()));
    } catch (IOException e) {
      helidon.stop();
      throw new UncheckedIOException("cannot listen on port " + port, e);
    }
  }

  private WebServer helidon(WebServerConfig.Builder server) {
    return server
        // A backstop only: each route caps its own body and answers 413 in JSON.
        .maxPayloadSize(
            Math.max(
                Math.max(config.maxBodyBytes(), config.routing().maxBodyBytes()),
                64L * 1024 * 1024))
        .addFeature(observe())
        .routing(this::routing)
        .build()
        .start();
  }

  /** The SSRF guard; routing checks every worker call with it. */
  public EndpointPolicy endpoints() {
    return endpoints;
  }

  public Pool pool() {
    return pool;
  }

  /** Inference routing (its body budget and ejection record, for diagnostics and tests). */
  public InferenceRouting inference() {
    return inference;
  }

  public PhasePolicy phases() {
    return phases;
  }

  public WorkerStatusPolicy statuses() {
    return statuses;
  }

  public HealthLoop loop() {
    return loop;
  }

  public WorkerStore store() {
    return store;
  }

  public CoordinatorConfig config() {
    return config;
  }

  /** The pull-worker task queue; the inference router's seam (see docs/tasks.md). */
  public PullDispatcher tasks() {
    return tasks;
  }

  @Override
  public void close() {
    loop.close();
    inference.close();
    tasks.close();
    store.close();
  }
}
