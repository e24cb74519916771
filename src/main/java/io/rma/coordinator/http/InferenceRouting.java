package io.rma.coordinator.http;

import io.helidon.webserver.http.HttpRouting;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.ServiceCatalogue;
import io.rma.coordinator.routing.InFlight;
import io.rma.coordinator.routing.OutlierEjection;
import io.rma.coordinator.routing.RoutingSettings;
import io.rma.coordinator.routing.Scoring;
import io.rma.coordinator.routing.WorkerSelectionPolicy;
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

  private final InFlight inFlight = new InFlight();
  private final OutlierEjection ejection;
  private final WorkerClient workers;
  private final InferenceService inferenceService;
  private final OpenAiService openAi;
  private final ServiceProxy serviceProxy;
  private final BodyBudget budget;

  public InferenceRouting(
      Pool pool,
      ServiceCatalogue catalogue,
      RoutingSettings settings,
      EndpointPolicy guard,
      PullFallback pull,
      Clock clock,
      Deadlines deadlines) {
    this.ejection = new OutlierEjection(clock, settings.ejectAfterFailures(), settings.ejectFor());
    this.workers = new WorkerClient(settings, guard, deadlines);
    WorkerSelectionPolicy policy =
        new WorkerSelectionPolicy(
            settings.loadCeiling(), ejection, Scoring.defaults(inFlight), RANDOM);
    Router router =
        new Router(pool, policy, inFlight, ejection, workers, settings, new RouteMetrics(), pull);
    this.budget = BodyBudget.of(settings.inflightBodyLimit(), deadlines, settings.bodyTimeout());
    OnHelidon onHelidon = new OnHelidon(settings.maxBodyBytes(), budget, router);
    this.inferenceService = new InferenceService(catalogue, onHelidon);
    this.openAi = new OpenAiService(pool, catalogue, onHelidon);
    this.serviceProxy = new ServiceProxy(catalogue, router, settings.maxBodyBytes());
  }

  /** An inference route's work once its body is read: the call to make of a worker. */
  @FunctionalInterface
  interface Handler {
    Router.Call call(byte[] body, Exchange ex);
  }

  /**
   * A route handler on Helidon's routing: the body read within the cap and the in-flight budget,
   * which gets the bytes back once the request is answered.
   */
  record OnHelidon(long maxBodyBytes, BodyBudget budget, Router router) {
    io.helidon.webserver.http.Handler handler(Handler handler) {
      return (req, res) -> {
        try (BodyBudget.Hold hold = budget.hold()) {
          HelidonExchange ex = new HelidonExchange(req, res);
          router.forward(handler.call(JsonBodies.readBytes(req, maxBodyBytes, hold), ex), ex);
        }
      };
    }
  }

  /** The bound on inference request bytes held at once. */
  public BodyBudget budget() {
    return budget;
  }

  /** Registers {@code /api/inference/...}, {@code /v1/...} and {@code /api/service/...}. */
  public void routing(HttpRouting.Builder routing) {
    routing
        .register("/api/inference", inferenceService)
        .register("/v1", openAi)
        .register("/api/service", serviceProxy);
  }

  /** Requests open to each worker (the admin API shows them). */
  public InFlight inFlight() {
    return inFlight;
  }

  /** The ejection record (for tests and diagnostics). */
  public OutlierEjection ejection() {
    return ejection;
  }

  @Override
  public void close() {
    workers.close();
  }
}
