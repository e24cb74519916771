package io.rma.coordinator.http;

import io.helidon.webserver.http.ServerRequest;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.security.EndpointPolicy;
import io.rma.coordinator.security.SecuritySettings;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a registration must pass before it is stored: the per-client rate limit, the join
 * token for a new worker (or the worker's own credential to re-register an existing id), the pool
 * size cap, and the SSRF guard on the endpoint the worker declares (or on the address it came from,
 * when it declares none).
 */
public final class RegistrationGate {
  private final SecuritySettings settings;
  private final WorkerAuthenticator workers;
  private final ClientRateLimiter rate;
  private final EndpointPolicy endpoints;

  public RegistrationGate(
      SecuritySettings settings,
      WorkerAuthenticator workers,
      ClientRateLimiter rate,
      EndpointPolicy endpoints) {
    this.settings = settings;
    this.workers = workers;
    this.rate = rate;
    this.endpoints = endpoints;
  }

  /** Whether a new worker must present the join token ({@code RMA_JOIN_TOKEN} is set). */
  public boolean joinTokenRequired() {
    return settings.joinToken().isPresent();
  }

  /**
   * Throws the refusal (401/403/422/429/503), or returns when the registration may go on.
   *
   * @param client the address the registration came from (rate limits count per address)
   * @param addressFromPeer the spec's {@code ip_address} is {@code client}'s, since the worker
   *     named no address
   */
  public void admit(
      ServerRequest req,
      InetAddress client,
      Optional<RMAWorker> existing,
      RMAWorkerSpec spec,
      boolean addressFromPeer,
      int poolSize) {
    rate.acquire(client.getHostAddress());
    if (existing.isPresent()) {
      // Re-registering an id takes that worker over: only the worker itself may.
      workers.checkTakeover(req, existing.get());
    } else {
      settings
          .joinToken()
          .ifPresent(
              join -> {
                if (!BearerTokens.bearer(req).map(t -> BearerTokens.same(t, join)).orElse(false)) {
                  throw new ApiException(
                      401, "registration needs the join token as 'Authorization: Bearer <token>'");
                }
              });
      if (poolSize >= settings.maxWorkers()) {
        throw new ApiException(
            503,
            "the pool is full: "
                + settings.maxWorkers()
                + " workers (RMA_MAX_WORKERS); unregister one or raise the limit",
            Map.of("retry_after", 60));
      }
    }
    if (addressFromPeer) {
      endpoints
          .addressRefusal(client)
          .ifPresent(
              why ->
                  refuse(
                      "ip_address",
                      "the registration names no ip_address or tunnel_url, so the worker would be"
                          + " reached at the address it connected from, "
                          + client.getHostAddress()
                          + ": "
                          + why
                          + "; give the worker's ip_address or tunnel_url"));
    } else {
      checkEndpoint(spec);
    }
  }

  private void checkEndpoint(RMAWorkerSpec spec) {
    if (spec.getTunnelUrl() != null) {
      URI url;
      try {
        url = new URI(spec.getTunnelUrl());
      } catch (URISyntaxException e) {
        throw ApiException.unprocessable("tunnel_url refused: not a URL (" + e.getReason() + ")");
      }
      endpoints
          .shapeRefusal(url)
          .or(() -> resolvedRefusal(url.getHost()))
          .ifPresent(why -> refuse("tunnel_url", why));
    }
    if (spec.getIpAddress() != null) {
      String host = spec.getIpAddress();
      resolvedRefusal(host).ifPresent(why -> refuse("ip_address", why));
    }
  }

  /**
   * Refuses a host that resolves to a denied address. A name that does not resolve from here is let
   * through: it is checked again, and refused, at call time.
   */
  private Optional<String> resolvedRefusal(String host) {
    List<InetAddress> addresses;
    try {
      addresses = endpoints.resolve(host);
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
    return endpoints.addressesRefusal(host, addresses);
  }

  private static void refuse(String field, String why) {
    throw ApiException.unprocessable(field + " refused: " + why);
  }
}
