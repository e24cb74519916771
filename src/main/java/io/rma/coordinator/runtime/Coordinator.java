package io.rma.coordinator.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.http.AdminAuth;
import io.rma.coordinator.http.AdminService;
import io.rma.coordinator.http.ApiException;
import io.rma.coordinator.http.ClientAddress;
import io.rma.coordinator.http.ClientRateLimiter;
import io.rma.coordinator.http.CorsFilter;
import io.rma.coordinator.http.DashboardService;
import io.rma.coordinator.http.Deadlines;
import io.rma.coordinator.http.DocsService;
import io.rma.coordinator.http.ErrorMapping;
import io.rma.coordinator.http.Exchange;
import io.rma.coordinator.http.HeartbeatService;
import io.rma.coordinator.http.HelidonExchange;
import io.rma.coordinator.http.InferenceRouting;
import io.rma.coordinator.http.JsonBodies;
import io.rma.coordinator.http.RegistrationGate;
import io.rma.coordinator.http.RegistrationService;
import io.rma.coordinator.http.RootService;
import io.rma.coordinator.http.Router;
import io.rma.coordinator.http.ServerProtocol;
import io.rma.coordinator.http.TaskClientService;
import io.rma.coordinator.http.TaskMetrics;
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
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
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

  /**
   * Deadlines of socket work: bodies, writes to workers, lingering closes (checked every 50 ms).
   */
  private final Deadlines deadlines = new Deadlines("rma-deadlines", 50);

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
    TaskMetrics taskMetrics = new TaskMetrics(config.catalogue());
    this.tasks = new PullDispatcher(config.tasks(), pool, taskFile, taskMetrics);
    taskMetrics.bind(tasks);
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
            clock,
            deadlines);
  }

  /** Routing's fallback when no push worker can take a request: the pull workers' queue. */
  private boolean queueForPullWorkers(Router.Call call, Exchange ex) {
    JsonNode request;
    try {
      request = JsonBodies.WIRE.readTree(call.body().bytes());
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
    ServerProtocol.rules(routing, config.routing(), deadlines);
    ErrorMapping.register(routing);
    DashboardService.routing(
        routing, pool, config.catalogue(), config.security().adminToken(), tasks::stats, clock);
    SecuritySettings security = config.security();
    WorkerAuthenticator auth = new WorkerAuthenticator(security.workerAuth(), store);
    RegistrationGate gate =
        new RegistrationGate(
            security,
            auth,
            new ClientRateLimiter(
                "registration", security.registrationsPerMinute(), Duration.ofMinutes(1), clock),
            endpoints);
    // First: a browser's preflight is answered before any credential check or standby refusal.
    CorsFilter.register(routing, security.corsOrigins());
    routing
        .addFilter(
            (chain, req, res) -> {
              String path = req.path().path();
              if (serving.getAsBoolean()
                  || !(path.startsWith("/api/") || path.startsWith("/v1/"))) {
                chain.proceed();
              } else {
                ErrorMapping.send(
                    new HelidonExchange(req, res),
                    new ApiException(
                        503,
                        "this replica is a standby; the leader serves the API",
                        Map.of("retry_after", 1),
                        "standby"));
              }
            })
        .register("/", new RootService(pool, VERSION, mode), new DocsService(VERSION))
        .register(
            "/api/worker",
            new RegistrationService(
                pool,
                statuses,
                config.catalogue(),
                auth,
                gate,
                new ClientAddress(security.trustedProxies()),
                config.health().heartbeatInterval(),
                config.publicUrl(),
                config.maxBodyBytes()),
            new HeartbeatService(
                pool, phases, auth, config.health().heartbeatInterval(), config.maxBodyBytes()),
            new TaskWorkerService(tasks, pool, auth, config.maxBodyBytes()))
        .register("/api/inference", taskClients)
        .register(
            "/api/admin",
            new AdminService(
                pool,
                mode,
                new AdminAuth(security.adminToken()),
                tasks,
                inference.inFlight()::count));
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
          if (path.startsWith("/api/inference/")
              || path.startsWith("/v1/")
              || path.startsWith("/api/service/")) {
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
                .addCheck(this::readiness, HealthCheckType.READINESS, "store")
                .build())
        .addObserver(MetricsObserver.create())
        .build();
  }

  /**
   * DOWN while the worker store or the task journal cannot write, with the reason as a detail. A
   * standby stays UP (with {@code serving: false}): see docs/kubernetes.md.
   */
  private HealthCheckResponse readiness() {
    Optional<String> storeProblem = store.problem();
    Optional<String> taskProblem = tasks.problem();
    HealthCheckResponse.Builder r =
        HealthCheckResponse.builder()
            .status(store.ready() && storeProblem.isEmpty() && taskProblem.isEmpty())
            .detail("store", store.kind())
            .detail("tasks", tasks.durable() ? "sqlite" : "memory")
            .detail("serving", serving.getAsBoolean());
    storeProblem.ifPresent(p -> r.detail("store_error", p));
    taskProblem.ifPresent(p -> r.detail("tasks_error", p));
    return r.build();
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
    return new Server(
        ServerProtocol.configure(WebServer.builder(), config.routing(), deadlines)
            .port(port)
            .addFeature(observe())
            .routing(this::routing)
            .build()
            .start());
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
    deadlines.close();
    tasks.close();
    store.close();
  }
}
