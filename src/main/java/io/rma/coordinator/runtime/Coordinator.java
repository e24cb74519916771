package io.rma.coordinator.runtime;

import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.rma.coordinator.admin.AdminService;
import io.rma.coordinator.admin.RootService;
import io.rma.coordinator.health.HealthLoop;
import io.rma.coordinator.health.HeartbeatService;
import io.rma.coordinator.health.Heartbeats;
import io.rma.coordinator.health.PhasePolicy;
import io.rma.coordinator.health.Pool;
import io.rma.coordinator.health.WorkerStatusPolicy;
import io.rma.coordinator.registration.RegistrationService;
import io.rma.coordinator.registration.ServiceAssignmentPolicy;
import io.rma.coordinator.registration.TierPolicy;
import io.rma.coordinator.registration.WorkerAuthenticator;
import io.rma.coordinator.store.SqliteWorkerRepository;
import io.rma.coordinator.store.StandaloneWorkerStore;
import io.rma.coordinator.store.WorkerStore;
import io.rma.coordinator.tasks.PullDispatcher;
import io.rma.coordinator.tasks.SqliteTaskRepository;
import io.rma.coordinator.tasks.TaskClientService;
import io.rma.coordinator.tasks.TaskWorkerService;
import io.rma.coordinator.web.ErrorMapping;
import java.time.Clock;

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
  private final PullDispatcher tasks;
  private final String mode;

  public Coordinator(CoordinatorConfig config, WorkerStore store, Clock clock, String mode) {
    this(config, store, null, clock, mode);
  }

  /**
   * @param taskFile where pull-worker tasks are kept across restarts, or null for memory only
   */
  public Coordinator(
      CoordinatorConfig config,
      WorkerStore store,
      SqliteTaskRepository taskFile,
      Clock clock,
      String mode) {
    this.config = config;
    this.store = store;
    this.mode = mode;
    this.phases = new PhasePolicy(config.health());
    this.statuses =
        new WorkerStatusPolicy(
            new TierPolicy(config.tiers()), new ServiceAssignmentPolicy(config.catalogue()));
    this.pool = new Pool(store, new Heartbeats(), phases, clock);
    this.tasks = new PullDispatcher(config.tasks(), pool, taskFile);
    this.loop = new HealthLoop(pool, phases, statuses, config.health(), tasks.completions());
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
        "standalone");
  }

  public void routing(HttpRouting.Builder routing) {
    ErrorMapping.register(routing);
    WorkerAuthenticator auth =
        new WorkerAuthenticator(config.workerAuth() == CoordinatorConfig.WorkerAuth.token);
    routing
        .register("/", new RootService(pool, VERSION, mode))
        .register(
            "/api/worker",
            new RegistrationService(
                pool,
                statuses,
                config.catalogue(),
                auth,
                config.health().heartbeatInterval(),
                config.publicUrl(),
                config.maxBodyBytes()),
            new HeartbeatService(
                pool, phases, auth, config.health().heartbeatInterval(), config.maxBodyBytes()),
            new TaskWorkerService(tasks, pool, auth, config.maxBodyBytes()))
        .register(
            "/api/inference",
            new TaskClientService(tasks, config.catalogue(), config.maxBodyBytes()))
        .register("/api/admin", new AdminService(pool, mode));
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
                            .build(),
                    HealthCheckType.READINESS,
                    "store")
                .build())
        .addObserver(MetricsObserver.create())
        .build();
  }

  /** Starts the HTTP server on {@code port} (0 = any free port) and the health loop. */
  public WebServer start(int port) {
    WebServer server = serve(port);
    loop.start(config.loopInterval());
    tasks.start(config.loopInterval());
    return server;
  }

  /** Starts only the HTTP server; tests drive the loop themselves with a moved clock. */
  public WebServer serve(int port) {
    return WebServer.builder()
        .port(port)
        // A backstop only: each route caps its own body and answers 413 in JSON.
        .maxPayloadSize(Math.max(config.maxBodyBytes(), 64L * 1024 * 1024))
        .addFeature(observe())
        .routing(this::routing)
        .build()
        .start();
  }

  public Pool pool() {
    return pool;
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
    tasks.close();
    store.close();
  }
}
