package io.rma.coordinator.http;

import io.helidon.webserver.CloseConnectionException;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.ServiceCatalogue.ServiceDefinition;
import io.rma.coordinator.pool.WorkerView;
import io.rma.coordinator.routing.InFlight;
import io.rma.coordinator.routing.OutlierEjection;
import io.rma.coordinator.routing.RoutingSettings;
import io.rma.coordinator.routing.UpstreamFailure;
import io.rma.coordinator.routing.UpstreamFailure.Kind;
import io.rma.coordinator.routing.WorkerEndpoint;
import io.rma.coordinator.routing.WorkerSelectionPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Sends one inference request to a worker and passes its answer back: picks a candidate with {@link
 * WorkerSelectionPolicy}, fails over when that is safe, records failures for {@link
 * OutlierEjection}, and answers 503 / 502 / 504 naming what was tried when no worker answered.
 */
public final class Router {
  private static final Logger LOG = System.getLogger(Router.class.getName());
  private static final int SNIPPET_BYTES = 200;

  /** Non-streamed answers longer than this (and within the cap) are passed on, not held whole. */
  static final long PASS_THROUGH_OVER = 64 * 1024;

  private static final Map<String, String> STREAM_HEADERS =
      Map.of("Cache-Control", "no-cache", "X-Accel-Buffering", "no");

  // OpenAI error.codes of routing's own answers (shown on the /v1/ routes, see ErrorMapping).
  private static final String NO_WORKER = "no_worker_available";
  private static final String WORKER_FAILED = "worker_failed";
  private static final String WORKER_TIMEOUT = "worker_timeout";

  private final Pool pool;
  private final WorkerSelectionPolicy policy;
  private final InFlight inFlight;
  private final OutlierEjection ejection;
  private final WorkerClient workers;
  private final RoutingSettings settings;
  private final RouteMetrics metrics;
  private final PullFallback pull;

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
  }

  /**
   * One request as the worker is to receive it.
   *
   * @param route route name for messages and metrics ({@code llm}, {@code openai-chat}, ...)
   * @param service the catalogue service that serves it
   * @param model the model asked for, or null
   * @param path worker-side path
   * @param query query parameters for the worker (empty for most routes)
   * @param body JSON body for the worker
   * @param stream pass the answer through as it arrives instead of reading it whole
   */
  public record Call(
      String route,
      ServiceDefinition service,
      String model,
      String path,
      Map<String, List<String>> query,
      byte[] body,
      boolean stream) {
    Call(
        String route,
        ServiceDefinition service,
        String model,
        String path,
        byte[] body,
        boolean stream) {
      this(route, service, model, path, Map.of(), body, stream);
    }
  }

  void forward(Call call, Exchange ex) {
    WorkerSelectionPolicy.Candidates candidates = candidates(call);
    if (candidates.isEmpty() && !candidates.pullWorkers().isEmpty()) {
      if (call.stream()) {
        metrics.outcome(call.route(), "no_worker");
        throw new ApiException(
            503,
            "no push worker can stream "
                + call.service().name()
                + ": pull workers answer whole (send without stream)",
            Map.of(),
            NO_WORKER);
      }
      if (pull.offer(call, ex)) {
        metrics.outcome(call.route(), "queued");
        return;
      }
    }
    if (candidates.isEmpty()) {
      throw noWorker(call, candidates);
    }
    Map<String, String> tried = new LinkedHashMap<>();
    UpstreamFailure last = null;
    for (int attempt = 0; attempt < settings.attempts(); attempt++) {
      Optional<WorkerView> next = policy.choose(candidates, tried.keySet());
      if (next.isEmpty()) {
        break;
      }
      if (attempt > 0) {
        metrics.failover(call.route());
      }
      WorkerView worker = next.get();
      String base = WorkerEndpoint.base(worker.worker().getSpec(), call.service());
      try (InFlight.Lease lease = inFlight.start(worker.name())) {
        send(call, worker, base, ex);
        metrics.outcome(call.route(), "answered");
        return;
      } catch (UpstreamFailure f) {
        last = f;
        tried.put(worker.name(), f.getMessage());
        failed(worker.name(), call, f);
        // Only what cannot have started goes to another worker, unless the catalogue says the
        // service is idempotent.
        if (!mayRetry(call, f)) {
          throw gaveUp(call, f, tried, false);
        }
      }
    }
    throw gaveUp(call, last, tried, tried.size() == settings.attempts());
  }

  /** The workers that may take the call now (and why the others may not). */
  WorkerSelectionPolicy.Candidates candidates(Call call) {
    return policy.candidates(
        pool.workersRunning(call.service().name()), call.service().name(), call.model());
  }

  /** The 503 of a call no worker can take. */
  ApiException noWorker(Call call, WorkerSelectionPolicy.Candidates candidates) {
    metrics.outcome(call.route(), "no_worker");
    return new ApiException(503, noCandidate(call, candidates), Map.of(), NO_WORKER);
  }

  /** Whether a failed attempt may go on to another worker. */
  static boolean mayRetry(Call call, UpstreamFailure f) {
    return f.kind() == Kind.NOT_SENT || f.kind() == Kind.REJECTED || call.service().idempotent();
  }

  /** Whether an answer with this status is the worker declining (another worker is tried). */
  static boolean declined(Call call, int status) {
    return status == 502 || status == 503 || (status >= 500 && idempotent(call));
  }

  /** One attempt: the answer is passed to the client, or the attempt throws. */
  private void send(Call call, WorkerView worker, String base, Exchange ex) throws UpstreamFailure {
    try (WorkerClient.Answer answer = workers.post(base, call.path(), call.query(), call.body())) {
      int status = answer.status();
      if (declined(call, status)) {
        throw new UpstreamFailure(Kind.REJECTED, "answered " + status + snippet(answer));
      }
      if (status >= 500) {
        ejection.failure(worker.name());
      } else {
        ejection.success(worker.name());
      }
      if (call.stream()) {
        relay(
            call,
            worker,
            answer,
            ex.stream(status, answer.contentType(), STREAM_HEADERS),
            true,
            Long.MAX_VALUE);
        return;
      }
      long length = answer.contentLength();
      if (length > PASS_THROUGH_OVER && length <= settings.maxBodyBytes()) {
        // Large, of known length: passed on as it arrives instead of held whole.
        relay(
            call,
            worker,
            answer,
            ex.fixed(status, answer.contentType(), Map.of(), length),
            false,
            Long.MAX_VALUE);
        return;
      }
      if (length < 0) {
        unknownLength(call, worker, answer, ex);
        return;
      }
      byte[] body = readCapped(answer, call, worker);
      ex.send(status, answer.contentType(), Map.of(), body);
    }
  }

  /**
   * An answer of unknown length (chunked, or until the worker closes): held and sent whole while it
   * stays within {@link #PASS_THROUGH_OVER}, passed on chunked beyond that, so no answer is held
   * whole in memory; the cap still holds (an answer that grows past it is cut off).
   */
  private void unknownLength(Call call, WorkerView worker, WorkerClient.Answer answer, Exchange ex)
      throws UpstreamFailure {
    byte[] first;
    try {
      first = answer.body().readNBytes((int) PASS_THROUGH_OVER + 1);
    } catch (IOException | RuntimeException e) {
      throw workers.whileReading(e);
    }
    if (first.length <= PASS_THROUGH_OVER) {
      ex.send(answer.status(), answer.contentType(), Map.of(), first);
      return;
    }
    if (settings.maxBodyBytes() < first.length) {
      throw tooLarge(call, worker, settings.maxBodyBytes());
    }
    OutputStream out = ex.stream(answer.status(), answer.contentType(), Map.of());
    try {
      out.write(first);
    } catch (IOException | RuntimeException e) {
      metrics.outcome(call.route(), "cancelled");
      throw new CloseConnectionException("client went away mid-answer");
    }
    relay(call, worker, answer, out, false, settings.maxBodyBytes() - first.length);
  }

  private static boolean idempotent(Call call) {
    return call.service().idempotent();
  }

  /** An answer of known length within {@link #PASS_THROUGH_OVER} or over the cap, read whole. */
  private byte[] readCapped(WorkerClient.Answer answer, Call call, WorkerView worker)
      throws UpstreamFailure {
    long declared = answer.contentLength();
    if (declared > settings.maxBodyBytes()) {
      throw tooLarge(call, worker, settings.maxBodyBytes());
    }
    try (InputStream in = answer.body()) {
      // One exact buffer, and the end read so the connection goes back to the pool.
      byte[] body = new byte[(int) declared];
      int n = in.readNBytes(body, 0, body.length);
      if (n < body.length || in.read() != -1) {
        throw new UpstreamFailure(
            Kind.FAILED, "answer did not match its Content-Length of " + declared);
      }
      return body;
    } catch (IOException | RuntimeException e) {
      throw workers.whileReading(e);
    }
  }

  ApiException tooLarge(Call call, WorkerView worker, long cap) {
    metrics.outcome(call.route(), "worker_failed");
    return new ApiException(
        502,
        "worker " + worker.name() + " answered with more than " + cap + " bytes",
        Map.of("tried", List.of(worker.name())),
        WORKER_FAILED);
  }

  /**
   * Passes the answer on as it arrives: a stream chunk by chunk ({@code flush} each read), or a
   * large answer (more than {@code limit} bytes of it cut it off). A client that goes away closes
   * the worker's connection (which cancels the work on servers that watch for it); a worker that
   * stops mid-answer closes the client's connection, so the client sees a cut-off answer, not an
   * end.
   */
  private void relay(
      Call call,
      WorkerView worker,
      WorkerClient.Answer answer,
      OutputStream out,
      boolean flush,
      long limit) {
    byte[] buf = new byte[8192];
    InputStream in = answer.body();
    long left = limit;
    while (true) {
      int n;
      try {
        n = in.read(buf);
      } catch (IOException | RuntimeException e) {
        UpstreamFailure f = workers.whileReading(e);
        failed(worker.name(), call, f);
        metrics.outcome(call.route(), "worker_failed");
        throw new CloseConnectionException(
            "worker " + worker.name() + " stopped mid-answer: " + f.getMessage());
      }
      if (n < 0) {
        break;
      }
      left -= n;
      if (left < 0) {
        overCap(call, worker);
        throw new CloseConnectionException("worker answer over the cap");
      }
      try {
        out.write(buf, 0, n);
        if (flush) {
          out.flush();
        }
      } catch (IOException | RuntimeException e) {
        metrics.outcome(call.route(), "cancelled");
        LOG.log(
            Level.DEBUG,
            () -> "client left a " + call.route() + " answer; closing worker " + worker.name());
        throw new CloseConnectionException("client went away mid-answer");
      }
    }
    try {
      out.close();
    } catch (IOException | RuntimeException e) {
      throw new CloseConnectionException("client went away at the end of an answer");
    }
  }

  /** An answer being passed on grew past the cap: counted and logged; the caller cuts it off. */
  void overCap(Call call, WorkerView worker) {
    metrics.outcome(call.route(), "worker_failed");
    LOG.log(
        Level.WARNING,
        "worker "
            + worker.name()
            + " sent a "
            + call.route()
            + " answer longer than "
            + settings.maxBodyBytes()
            + " bytes; cut off");
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

  private String snippet(WorkerClient.Answer answer) {
    try (InputStream in = answer.body()) {
      byte[] b = in.readNBytes(SNIPPET_BYTES);
      String s = new String(b, StandardCharsets.UTF_8).strip().replaceAll("\\s+", " ");
      return s.isEmpty() ? "" : " (" + s + ")";
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  ApiException gaveUp(
      Call call, UpstreamFailure last, Map<String, String> tried, boolean attemptsUsed) {
    boolean timeout = last != null && last.kind() == Kind.TIMEOUT;
    metrics.outcome(call.route(), timeout ? "timed_out" : "worker_failed");
    StringBuilder detail = new StringBuilder();
    detail
        .append(timeout ? "timed out: " : "worker failed: ")
        .append("no ")
        .append(call.service().name())
        .append(" worker answered the ")
        .append(call.route())
        .append(" request; tried ")
        .append(
            tried.entrySet().stream()
                .map(e -> e.getKey() + " (" + e.getValue() + ")")
                .collect(Collectors.joining(", ")));
    if (last != null
        && !call.service().idempotent()
        && (last.kind() == Kind.FAILED || last.kind() == Kind.TIMEOUT)) {
      detail
          .append("; not sent to another worker: the request may have started and ")
          .append(call.service().name())
          .append(" is not idempotent in the service catalogue");
    } else if (attemptsUsed) {
      detail.append("; gave up after ").append(settings.attempts()).append(" attempts");
    }
    return new ApiException(
        timeout ? 504 : 502,
        detail.toString(),
        Map.of("tried", List.copyOf(tried.keySet())),
        timeout ? WORKER_TIMEOUT : WORKER_FAILED);
  }

  private static String noCandidate(Call call, WorkerSelectionPolicy.Candidates c) {
    StringBuilder detail =
        new StringBuilder("no worker available for the ")
            .append(call.route())
            .append(" request: none runs ")
            .append(call.service().name());
    if (call.model() != null) {
      detail.append(" for model ").append(call.model());
    }
    if (c.excluded().isEmpty()) {
      detail.append(" (no worker registered for it)");
    } else {
      detail
          .append(" and can take it now (")
          .append(
              c.excluded().entrySet().stream()
                  .limit(10)
                  .map(e -> e.getKey() + ": " + e.getValue())
                  .collect(Collectors.joining("; ")));
      if (c.excluded().size() > 10) {
        detail.append("; ").append(c.excluded().size() - 10).append(" more");
      }
      detail.append(")");
    }
    if (!c.pullWorkers().isEmpty()) {
      detail.append("; pull-mode workers get tasks from a queue, not pushed requests");
    }
    return detail.toString();
  }
}
