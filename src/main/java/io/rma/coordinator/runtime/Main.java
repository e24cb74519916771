package io.rma.coordinator.runtime;

import io.helidon.logging.common.LogConfig;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.http.DashboardService;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.time.Clock;
import java.util.List;

/** Starts the coordinator: loads configuration once, picks the mode, serves HTTP. */
public final class Main {
  private static final Logger LOG = System.getLogger(Main.class.getName());

  private Main() {}

  public static void main(String[] args) {
    LogConfig.configureRuntime();
    CoordinatorConfig config;
    try {
      config = ConfigLoader.fromEnvironment();
    } catch (ConfigLoader.ConfigException e) {
      LogFormat.applyFromEnvironment(System.getenv("RMA_LOG_FORMAT"));
      LOG.log(Level.ERROR, "configuration error: " + e.getMessage());
      System.exit(2);
      return;
    }
    LogFormat.apply(config.logFormat());
    ModeSelection selection =
        ModeSelection.select(config.mode(), List.of(args), System.getenv(), Files::exists);
    if (selection.mode() == CoordinatorConfig.Mode.kubernetes) {
      KubernetesMode.runUntilShutdown(config, System.getenv(), selection.reason());
      return;
    }
    Coordinator coordinator = Coordinator.standalone(config, Clock.systemUTC());
    Server server = coordinator.start(config.port());
    Runtime.getRuntime()
        .addShutdownHook(
            Thread.ofPlatform()
                .unstarted(
                    () -> {
                      server.stop();
                      coordinator.close();
                    }));
    switch (config.security().workerAuth()) {
      case none ->
          LOG.log(
              Level.WARNING,
              "RMA_WORKER_AUTH=none: workers are not authenticated; any client can act as any"
                  + " worker");
      case auto ->
          LOG.log(
              Level.INFO,
              "RMA_WORKER_AUTH=auto: workers that send their worker_token must always send it;"
                  + " workers that never do (the original agents) are accepted without"
                  + " credentials (RMA_WORKER_AUTH=token refuses them)");
      case token -> {}
    }
    if (config.security().adminToken().isEmpty()) {
      LOG.log(
          Level.WARNING,
          "RMA_ADMIN_TOKEN is unset: the admin API is readable by anyone who can reach it, and"
              + " admin actions that change state are refused");
    }
    if (config.security().joinToken().isEmpty()) {
      LOG.log(
          Level.WARNING,
          "RMA_JOIN_TOKEN is unset: anyone who can reach the coordinator can register a worker");
    }
    LOG.log(
        Level.INFO,
        "RMA Coordinator "
            + Coordinator.VERSION
            + " (standalone: "
            + selection.reason()
            + "; store "
            + coordinator.store().kind()
            + config.databasePath().map(p -> " at " + p).orElse("")
            + ", "
            + coordinator.store().list().size()
            + " workers) listening on port "
            + server.port()
            + "; dashboard at "
            + dashboardUrl(config, server.port()));
  }

  /** Where a person opens the dashboard: under RMA_PUBLIC_URL, else on this machine's port. */
  static String dashboardUrl(CoordinatorConfig config, int port) {
    return config.publicUrl().orElse("http://localhost:" + port) + DashboardService.PATH;
  }
}
