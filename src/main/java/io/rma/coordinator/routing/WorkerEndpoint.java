package io.rma.coordinator.routing;

import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.pool.ServiceCatalogue.ServiceDefinition;

/** Where a worker's service is reached. */
public final class WorkerEndpoint {
  private WorkerEndpoint() {}

  /**
   * The worker's {@code tunnel_url} when set, else {@code http://ip_address:port} with the port the
   * worker declared, or the catalogue's port for the service; without a trailing slash. Null when
   * the worker gave no address.
   */
  public static String base(RMAWorkerSpec spec, ServiceDefinition service) {
    if (spec == null) {
      return null;
    }
    String tunnel = spec.getTunnelUrl();
    if (tunnel != null && !tunnel.isBlank()) {
      String t = tunnel.strip();
      while (t.endsWith("/")) {
        t = t.substring(0, t.length() - 1);
      }
      return t.contains("://") ? t : "http://" + t;
    }
    String ip = spec.getIpAddress();
    if (ip == null || ip.isBlank()) {
      return null;
    }
    String host = ip.strip();
    if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
      host = "[" + host + "]"; // an IPv6 literal
    }
    int port = spec.getPort() != null ? spec.getPort() : service.port();
    return "http://" + host + ":" + port;
  }
}
