package io.rma.coordinator.http;

import io.helidon.http.Method;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.ServiceCatalogue.ServiceDefinition;
import io.rma.coordinator.pool.WorkerView;
import io.rma.coordinator.routing.FailoverPolicy;
import io.rma.coordinator.routing.InFlight;
import io.rma.coordinator.routing.OutlierEjection;
import io.rma.coordinator.routing.RouteRequest;
import io.rma.coordinator.routing.RoutingSettings;
import io.rma.coordinator.routing.UpstreamFailure;
import io.rma.coordinator.routing.UpstreamFailure.Kind;
import io.rma.coordinator.routing.WorkerEndpoint;
import io.rma.coordinator.routing.WorkerSelectionPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Sends one request to a worker and passes its answer back: picks a candidate with {@link
 * WorkerSelectionPolicy}, fails over when {@link FailoverPolicy} says that is safe, records
 * failures for {@link OutlierEjection}, and answers 503 / 502 / 504 naming what was tried when no
 * worker answered ({@link RoutingErrors}). The answer itself is passed on by {@link AnswerRelay}.
 */
public final class Router {
  private static final Logger LOG = System.getLogger(Router.class.getName());
  private static final int SNIPPET_BYTES = 200;

  /** Methods a second worker may be sent again after a failure (RFC 9110 §9.2.2). */
  private static final Set<Method> IDEMPOTENT_METHODS =
      Set.of(Method.GET, Method.HEAD, Method.OPTIONS, Method.PUT, Method.DELETE);

  private final Pool pool;
  private final WorkerSelectionPolicy policy;
  private final InFlight inFlight;
  private final OutlierEjection ejection;
  private final WorkerClient workers;
  private final RoutingSettings settings;
  private final RouteMetrics metrics;
  private final PullFallback pull;
  private final AnswerRelay relay;
  private final RoutingErrors errors;

  Router(
      Pool pool,
      WorkerSelectionPolicy policy,
      InFlight inFlight,
      OutlierEjection ejection,
      WorkerClient workers,
      RoutingSettings settings,
      RouteMetrics metrics,
      PullFallback pull) {
    this.pool = pool;
    this.policy = policy;
    this.inFlight = inFlight;
    this.ejection = ejection;
    this.workers = workers;
    this.settings = settings;
    this.metrics = metrics;
    this.pull = pull;
    this.errors = new RoutingErrors(metrics, settings.attempts());
    this.relay = new AnswerRelay(settings.maxBodyBytes(), workers, metrics, errors, this::failed);
  }

  /**
   * One request as the worker is to receive it.
   *
   * @param route route name for messages and metrics ({@code llm}, {@code openai-chat}, ...)
   * @param service the catalogue service that serves it
   * @param model the model asked for, or null
   * @param method the method to call the worker with
   * @param path worker-side path; with {@code passHeaders}, the path and query as the client sent
   *     them (encoded), passed on byte for byte
   * @param query query parameters for the worker
   * @param headers request headers for the worker besides Content-Type and Content-Length
   * @param body the whole body for the worker ({@link Body#json}), or one streamed from the client
   * @param stream pass the answer through as it arrives (SSE, NDJSON)
   * @param passHeaders pass the worker's end-to-end answer headers on (the service proxy); else
   *     only its Content-Type
   */
  public record Call(
      String route,
      ServiceDefinition service,
      String model,
      Method method,
      String path,
      Map<String, List<String>> query,
      Map<String, List<String>> headers,
      Body body,
      boolean stream,
      boolean passHeaders) {

    /** A JSON POST of an inference route. */
    static Call json(
        String route,
        ServiceDefinition service,
        String model,
        String path,
        Map<String, List<String>> query,
        byte[] body,
        boolean stream) {
      return new Call(
          route,
          service,
          model,
          Method.POST,
          path,
          query,
          Map.of(),
          Body.json(body),
          stream,
          false);
    }

    static Call json(
        String route,
        ServiceDefinition service,
        String model,
        String path,
        byte[] body,
        boolean stream) {
      return json(route, service, model, path, Map.of(), body, stream);
    }

    /** Whether a second worker may do this call again after the first may have started it. */
    boolean idempotent() {
      return service.idempotent() || (passHeaders && IDEMPOTENT_METHODS.contains(method));
    }
  }

  /** A request body for a worker: bytes held whole, or the client's body passed on as it comes. */
  public record Body(byte[] bytes, String contentType, InputStream streamed, long length) {
    static Body json(byte[] bytes) {
      return new Body(bytes, "application/json", null, bytes.length);
    }

    /** {@code length} -1: of unknown length (chunked). */
    static Body streamed(InputStream in, String contentType, long length) {
      return new Body(null, contentType, in, length);
    }

    static Body none() {
      return new Body(null, null, null, 0);
    }
  }

  void forward(Call call, Exchange ex) {
    RouteRequest request = new RouteRequest(call.service().name(), call.model());
    WorkerSelectionPolicy.Candidates candidates =
        policy.candidates(pool.workersRunning(call.service().name()), request);
    if (candidates.isEmpty() && !candidates.pullWorkers().isEmpty() && !call.passHeaders()) {
      if (call.stream()) {
        throw errors.noPushWorkerCanStream(call);
      }
      if (pull.offer(call, ex)) {
        metrics.outcome(call.route(), "queued");
        return;
      }
    }
    if (candidates.isEmpty()) {
      throw candidates.unknownModel()
          ? errors.modelNotFound(call)
          : errors.noWorker(call, candidates);
    }
    Map<String, String> tried = new LinkedHashMap<>();
    UpstreamFailure last = null;
    boolean[] bodyStarted = {false};
    for (int attempt = 0; attempt < settings.attempts(); attempt++) {
      Optional<WorkerView> next = policy.choose(candidates, request, tried.keySet());
      if (next.isEmpty()) {
        break;
      }
      if (attempt > 0) {
        metrics.failover(call.route());
      }
      WorkerView worker = next.get();
      String base = WorkerEndpoint.base(worker.worker().getSpec(), call.service());
      try (InFlight.Lease lease = inFlight.start(worker.name())) {
        send(call, worker, base, ex, bodyStarted);
        metrics.outcome(call.route(), "answered");
        return;
      } catch (UpstreamFailure f) {
        last = f;
        tried.put(worker.name(), f.getMessage());
        failed(worker.name(), call, f);
        // A body streamed from the client cannot be sent a second time once it has started.
        boolean again =
            FailoverPolicy.mayRetry(f.kind(), call.idempotent())
                && (call.body().streamed() == null || !bodyStarted[0]);
        if (!again) {
          throw errors.gaveUp(call, f, tried, false);
        }
      }
    }
    throw errors.gaveUp(call, last, tried, tried.size() == settings.attempts());
  }

  /** One attempt: the answer is passed to the client, or the attempt throws. */
  private void send(Call call, WorkerView worker, String base, Exchange ex, boolean[] bodyStarted)
      throws UpstreamFailure {
    try (WorkerClient.Answer answer = call(call, base, bodyStarted)) {
      int status = answer.status();
      if (FailoverPolicy.declined(status, call.idempotent())) {
        throw new UpstreamFailure(Kind.REJECTED, "answered " + status + snippet(answer));
      }
      if (status >= 500) {
        ejection.failure(worker.name());
      } else {
        ejection.success(worker.name());
      }
      relay.pass(call, worker, answer, ex);
    }
  }

  private WorkerClient.Answer call(Call call, String base, boolean[] bodyStarted)
      throws UpstreamFailure {
    Body body = call.body();
    if (body.bytes() != null && !call.passHeaders()) {
      return workers.post(base, call.path(), call.query(), body.bytes());
    }
    Map<String, List<String>> headers = new LinkedHashMap<>(call.headers());
    if (body.contentType() != null) {
      headers.put("Content-Type", List.of(body.contentType()));
    }
    WorkerClient.BodyWriter writer;
    if (body.bytes() != null) {
      writer = out -> out.write(body.bytes());
    } else if (body.streamed() != null) {
      writer =
          out -> {
            bodyStarted[0] = true;
            body.streamed().transferTo(out);
          };
    } else {
      writer = null;
    }
    return workers.call(call.method(), base, call.path(), headers, writer, body.length());
  }

  void failed(String worker, Call call, UpstreamFailure f) {
    LOG.log(
        Level.DEBUG,
        () -> call.route() + " request to worker " + worker + " failed: " + f.getMessage());
    ejection
        .failure(worker)
        .ifPresent(
            until ->
                LOG.log(
                    Level.WARNING,
                    "worker "
                        + worker
                        + " taken out of rotation until "
                        + until
                        + " after repeated failures (last: "
                        + f.getMessage()
                        + ")"));
  }

  private static String snippet(WorkerClient.Answer answer) {
    try (InputStream in = answer.body()) {
      byte[] b = in.readNBytes(SNIPPET_BYTES);
      String s = new String(b, StandardCharsets.UTF_8).strip().replaceAll("\\s+", " ");
      return s.isEmpty() ? "" : " (" + s + ")";
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
