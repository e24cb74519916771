package io.rma.coordinator.routing;

import io.helidon.webserver.http.HttpRouting;
import io.rma.coordinator.health.Pool;
import io.rma.coordinator.registration.ServiceCatalogue;
import io.rma.coordinator.security.EndpointPolicy;
import java.time.Clock;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Inference routing assembled: selection policy, in-flight counts, outlier ejection, the worker
 * client, and the two HTTP services ({@code /api/inference}, {@code /v1}).
 */
public final class InferenceRouting implements AutoCloseable {
  /** Request threads are virtual and short-lived: take each one's own random source per call. */
  private static final RandomGenerator RANDOM = () -> ThreadLocalRandom.current().nextLong();

  private final Pool pool;
  private final ServiceCatalogue catalogue;
  private final RoutingSettings settings;
  private final InFlight inFlight = new InFlight();
  private final OutlierEjection ejection;
  private final UpstreamClient upstream;
  private final Router router;

  public InferenceRouting(
      Pool pool,
      ServiceCatalogue catalogue,
      RoutingSettings settings,
      EndpointPolicy guard,
      PullFallback pull,
      Clock clock) {
    this.pool = pool;
    this.catalogue = catalogue;
    this.settings = settings;
    this.ejection = new OutlierEjection(clock, settings.ejectAfterFailures(), settings.ejectFor());
    this.upstream = new UpstreamClient(settings, guard);
    WorkerSelectionPolicy policy =
        new WorkerSelectionPolicy(settings.loadCeiling(), ejection, inFlight::count, RANDOM);
    this.router =
        new Router(pool, policy, inFlight, ejection, upstream, settings, new RouteMetrics(), pull);
  }

  /** Registers {@code /api/inference/...} and {@code /v1/...}. */
  public void routing(HttpRouting.Builder routing) {
    routing
        .register(
            "/api/inference", new InferenceService(router, catalogue, settings.maxBodyBytes()))
        .register("/v1", new OpenAiService(router, pool, catalogue, settings.maxBodyBytes()));
  }

  /** The ejection record (for tests and diagnostics). */
  public OutlierEjection ejection() {
    return ejection;
  }

  @Override
  public void close() {
    upstream.close();
  }
}
