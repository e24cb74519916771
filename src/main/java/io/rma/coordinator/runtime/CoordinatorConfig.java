package io.rma.coordinator.runtime;

import io.rma.coordinator.health.HealthSettings;
import io.rma.coordinator.registration.ServiceCatalogue;
import io.rma.coordinator.registration.TierPolicy;
import io.rma.coordinator.tasks.TaskSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything the coordinator reads at start, loaded once by {@link ConfigLoader} and passed down.
 *
 * @param port HTTP port ({@code PORT})
 * @param databasePath standalone database file ({@code DATABASE_PATH}); empty = memory only
 * @param mode standalone or kubernetes; empty = detect
 * @param namespace namespace of the RMAWorker objects
 * @param health heartbeat, offline, prune and grace timings
 * @param tiers tier thresholds
 * @param loadCeiling workers reporting more load than this get no new work
 * @param workerAuth {@code token} or {@code none}
 * @param joinToken bearer token required to register, if set
 * @param adminToken bearer token for the admin API, if set
 * @param publicUrl URL workers use to reach the coordinator; empty = from the request's Host
 * @param maxBodyBytes largest request body accepted
 * @param loopInterval how often the standalone health loop runs
 * @param catalogue the service catalogue
 * @param tasks the pull-worker task queue's limits and timings
 */
public record CoordinatorConfig(
    int port,
    Optional<Path> databasePath,
    Optional<Mode> mode,
    String namespace,
    HealthSettings health,
    TierPolicy.Thresholds tiers,
    double loadCeiling,
    WorkerAuth workerAuth,
    Optional<String> joinToken,
    Optional<String> adminToken,
    Optional<String> publicUrl,
    long maxBodyBytes,
    Duration loopInterval,
    ServiceCatalogue catalogue,
    TaskSettings tasks) {

  /** Where workers live. */
  public enum Mode {
    standalone,
    kubernetes
  }

  /** How workers prove who they are. */
  public enum WorkerAuth {
    token,
    none
  }
}
