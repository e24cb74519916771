package io.rma.coordinator.http;

import io.helidon.webserver.http.HttpRouting;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.ServiceCatalogue;
import io.rma.coordinator.routing.InFlight;
import io.rma.coordinator.routing.OutlierEjection;
import io.rma.coordinator.routing.RoutingSettings;
import io.rma.coordinator.routing.WorkerSelectionPolicy;
import io.rma.coordinator.security.EndpointPolicy;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.random.RandomGenerator;

/**
 * Inference routing assembled: selection policy, in-flight counts, outlier ejection, the worker
 * client, and the two HTTP services ({@code /api/inference}, {@code /v1}).
 */
public final class InferenceRouting implements AutoCloseable {
  /** Request threads are virtual and short-lived: take each one's own random source per call. */
  private static final RandomGenerator RANDOM = () -> ThreadLocalRandom.current().nextLong();

  private final RoutingSettings settings;
  private final InFlight inFlight = new InFlight();
  private final OutlierEjection ejection;
  private final UpstreamClient upstream;
  private final Router router;
  private final InferenceService inferenceService;
  private final OpenAiService openAi;
  private final Map<String, Handler> posts;
  private final BodyBudget budget;

  public InferenceRouting(
      Pool pool,
      ServiceCatalogue catalogue,
      RoutingSettings settings,
      EndpointPolicy guard,
      PullFallback pull,
      Clock clock) {
    this.settings = settings;
    this.ejection = new OutlierEjection(clock, settings.ejectAfterFailures(), settings.ejectFor());
    this.upstream = new UpstreamClient(settings, guard);
    WorkerSelectionPolicy policy =
        new WorkerSelectionPolicy(settings.loadCeiling(), ejection, inFlight::count, RANDOM);
    this.router =
        new Router(pool, policy, inFlight, ejection, upstream, settings, new RouteMetrics(), pull);
    this.budget = BodyBudget.of(settings.inflightBodyLimit(), settings.bodyTimeout());
    OnHelidon onHelidon = new OnHelidon(settings.maxBodyBytes(), budget, router);
    this.inferenceService = new InferenceService(catalogue, onHelidon);
    this.openAi = new OpenAiService(pool, catalogue, onHelidon);
    this.posts =
        Map.of(
            "/api/inference/llm", inferenceService::llm,
            "/api/inference/vision", inferenceService::vision,
            "/api/inference/rag/query", inferenceService::rag,
            "/api/inference/graph/extract", inferenceService::graph,
            "/v1/completions", openAi::completions,
            "/v1/chat/completions", openAi::chat);
  }

  /**
   * An inference route's work once its body is read, whichever server path received it: the call to
   * make of a worker (each server path sends it its own way: {@link Router#forward} on Helidon's
   * connections, {@link LoopServer} on the event loops), or null when the handler answered the
   * request itself ({@code GET /v1/models}).
   */
  @FunctionalInterface
  public interface Handler {
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
          router.send(handler.call(JsonBodies.readBytes(req, maxBodyBytes, hold), ex), ex);
        }
      };
    }
  }

  /**
   * The handler of {@code POST path} or {@code GET path}, for the fast path; null when the path is
   * not an inference route. Helidon's routes ({@link #routing}) call the same handlers.
   */
  Handler handler(boolean post, String path) {
    if (post) {
      return posts.get(path);
    }
    return path.equals("/v1/models")
        ? (body, ex) -> {
          openAi.models(ex);
          return null;
        }
        : null;
  }

  Router router() {
    return router;
  }

  /** The largest inference request body. */
  long maxBodyBytes() {
    return settings.maxBodyBytes();
  }

  /** The bound on request bytes held at once, across both server paths. */
  public BodyBudget budget() {
    return budget;
  }

  /** Registers {@code /api/inference/...} and {@code /v1/...}. */
  public void routing(HttpRouting.Builder routing) {
    routing.register("/api/inference", inferenceService).register("/v1", openAi);
  }

  /**
   * The inference fast path for the server's listener: serves the routes of {@link #routing} on
   * HTTP/1.1 connections without Helidon's per-request work (see {@link FastInferencePath}).
   */
  public FastInferencePath fastPath(BooleanSupplier serving, ClientRateLimiter rate) {
    return new FastInferencePath(this, serving, rate);
  }

  /** The ejection record (for tests and diagnostics). */
  public OutlierEjection ejection() {
    return ejection;
  }

  @Override
  public void close() {
    upstream.close();
    budget.close();
  }
}
