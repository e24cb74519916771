package io.rma.coordinator.config;

import io.rma.coordinator.pool.HealthSettings;
import io.rma.coordinator.pool.ServiceCatalogue;
import io.rma.coordinator.pool.TierPolicy;
import io.rma.coordinator.routing.RoutingSettings;
import io.rma.coordinator.security.SecuritySettings;
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
 * @param security credentials, SSRF guard and limits
 * @param publicUrl URL workers use to reach the coordinator; empty = from the request's Host
 * @param maxBodyBytes largest request body accepted
 * @param loopInterval how often the standalone health loop runs
 * @param catalogue the service catalogue
 * @param leaderElection Kubernetes mode: replicas elect a leader on a Lease ({@code
 *     RMA_LEADER_ELECTION}, default true); false only for a single replica
 * @param leaseName Kubernetes mode: name of that Lease ({@code RMA_LEASE_NAME})
 * @param routing how inference requests are sent to workers (load ceiling, timeouts, caps,
 *     failover, ejection)
 * @param tasks the pull-worker task queue's limits and timings
 * @param logFormat how log records are written ({@code RMA_LOG_FORMAT})
 */
public record CoordinatorConfig(
    int port,
    Optional<Path> databasePath,
    Optional<Mode> mode,
    String namespace,
    HealthSettings health,
    TierPolicy.Thresholds tiers,
    SecuritySettings security,
    Optional<String> publicUrl,
    long maxBodyBytes,
    Duration loopInterval,
    ServiceCatalogue catalogue,
    boolean leaderElection,
    String leaseName,
    RoutingSettings routing,
    TaskSettings tasks,
    LogFormat logFormat) {

  /** The Lease's name when {@code RMA_LEASE_NAME} is not set. */
  public static final String DEFAULT_LEASE_NAME = "rma-coordinator";

  /** Where workers live. */
  public enum Mode {
    standalone,
    kubernetes
  }

  /** How log records are written: plain lines, or one JSON object per line for collectors. */
  public enum LogFormat {
    text,
    json
  }
}
