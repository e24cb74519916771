package io.rma.coordinator.security;

import java.util.List;
import java.util.Optional;

/**
 * Who may do what, and how much.
 *
 * @param workerAuth how workers prove who they are ({@code RMA_WORKER_AUTH})
 * @param joinToken bearer token a new worker must present to register
 * @param adminToken bearer token for {@code /api/admin/*}; unset = read-only admin, open
 * @param allowLoopbackWorkers worker endpoints may be loopback addresses
 * @param allowPrivateWorkers worker endpoints may be private-range addresses
 * @param maxWorkers most workers the pool holds
 * @param registrationsPerMinute registrations one client address may make per minute (0 = no limit)
 * @param inferencePerSecond inference requests one client address may make per second (0 = none)
 * @param trustedProxies proxies whose {@code X-Forwarded-For} names the client ({@code
 *     RMA_TRUSTED_PROXIES}); none by default
 * @param corsOrigins browser origins allowed to call the API ({@code RMA_CORS_ORIGINS}): {@code
 *     ["*"]} for any, empty for none (CORS off)
 */
public record SecuritySettings(
    WorkerAuthMode workerAuth,
    Optional<String> joinToken,
    Optional<String> adminToken,
    boolean allowLoopbackWorkers,
    boolean allowPrivateWorkers,
    int maxWorkers,
    long registrationsPerMinute,
    long inferencePerSecond,
    AddressRanges trustedProxies,
    List<String> corsOrigins) {

  public SecuritySettings {
    corsOrigins = List.copyOf(corsOrigins);
  }

  /** Whether worker credentials are checked at all (every mode but {@code none}). */
  public boolean workerAuthEnforced() {
    return workerAuth != WorkerAuthMode.none;
  }
}
