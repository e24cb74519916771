package io.rma.coordinator.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.rma.coordinator.pool.ServiceCatalogue;
import io.rma.coordinator.pool.ServiceCatalogue.ServiceDefinition;
import io.rma.coordinator.pool.StoreException;
import io.rma.coordinator.tasks.PullDispatcher;
import io.rma.coordinator.tasks.Task;
import io.rma.coordinator.tasks.TaskOutcome;
import io.rma.coordinator.tasks.TaskRejection;
import io.rma.coordinator.tasks.TaskState;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The client's side, under {@code /api/inference}: {@code POST /tasks} queues a request for the
 * pull workers of a service and waits for the result (504 after the wait; {@code Prefer:
 * respond-async} answers 202 at once with a URL to poll), and {@code GET /tasks/{task_id}} tells
 * how a task stands.
 */
public final class TaskClientService implements HttpService {
  private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7E]{1,255}");
  private static final Pattern PREFER_WAIT = Pattern.compile("(?:^|[,;\\s])wait\\s*=\\s*(\\d+)");

  private final PullDispatcher tasks;
  private final ServiceCatalogue catalogue;
  private final long maxBodyBytes;

  public TaskClientService(PullDispatcher tasks, ServiceCatalogue catalogue, long maxBodyBytes) {
    this.tasks = tasks;
    this.catalogue = catalogue;
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void routing(HttpRules rules) {
    rules.post("/tasks", this::submit).get("/tasks/{task_id}", this::get);
  }

  private void submit(ServerRequest req, ServerResponse res) {
    JsonNode body = JsonBodies.read(req, maxBodyBytes);
    if (!body.isObject()) {
      throw ApiException.unprocessable("the body must be a JSON object");
    }
    JsonNode serviceNode = body.get("service");
    if (serviceNode == null || !serviceNode.isTextual()) {
      throw ApiException.unprocessable("service is required and must be a string");
    }
    String name = serviceNode.asText();
    ServiceDefinition service =
        catalogue
            .find(name)
            .orElseThrow(
                () ->
                    ApiException.unprocessable(
                        "unknown service "
                            + name
                            + "; the catalogue has "
                            + catalogue.all().stream().map(ServiceDefinition::name).toList()));
    JsonNode routeNode = body.get("route");
    String route;
    if (routeNode == null || routeNode.isNull()) {
      route = service.path();
      if (route == null) {
        throw ApiException.unprocessable(
            "route is required: service " + name + " has no inference path in the catalogue");
      }
    } else if (!routeNode.isTextual()
        || !routeNode.asText().startsWith("/")
        || routeNode.asText().length() > 2048) {
      throw ApiException.unprocessable("route must be a worker-side path such as /v1/completions");
    } else {
      route = routeNode.asText();
    }
    if (!body.has("request")) {
      throw ApiException.unprocessable("request is required: the body the worker should get");
    }
    JsonNode request = body.get("request");
    if (!answer(
        new HelidonExchange(req, res),
        name,
        route,
        PullDispatcher.modelOf(request),
        request,
        false)) {
      String model = PullDispatcher.modelOf(request);
      throw new ApiException(
          503,
          "no Healthy pull worker runs service "
              + name
              + (model == null ? "" : " with model " + model));
    }
  }

  /**
   * Queues {@code request} for the pull workers of {@code service} and answers the client: with
   * {@code Prefer: respond-async}, 202 and the task's URL; otherwise it waits for the result (504
   * with the task's URL after the wait). {@code asWorker} answers as a push worker would have: the
   * worker's status and result body, unchanged; otherwise the task's view.
   *
   * @return false (and nothing answered) when no Healthy pull worker runs the service, unless the
   *     client's Idempotency-Key already names a task
   */
  public boolean answer(
      Exchange ex, String name, String route, String model, JsonNode request, boolean asWorker) {
    Optional<String> key = idempotencyKey(ex);
    Prefer prefer = prefer(ex);

    Task task;
    try {
      // The pool first: a key's lookup may read the database file.
      if (!tasks.hasPullWorkers(name, model)
          && (key.isEmpty() || tasks.byIdempotencyKey(key.get()).isEmpty())) {
        return false;
      }
      task = tasks.submit(name, route, model, request, key);
    } catch (StoreException e) {
      throw storeUnavailable("the task could not be stored, so it was not accepted", e);
    } catch (TaskRejection e) {
      if (e.kind() != TaskRejection.Kind.QUEUE_FULL) {
        throw new ApiException(e.kind().status(), e.getMessage());
      }
      // ErrorMapping turns retry_after into the Retry-After header, as for the rate limits.
      long seconds = Math.max(1, (e.retryAfter().toMillis() + 999) / 1000);
      throw new ApiException(429, e.getMessage(), Map.of("retry_after", seconds), "queue_full");
    }
    String statusUrl = "/api/inference/tasks/" + task.id();
    if (prefer.async()) {
      JsonBodies.send(
          ex,
          202,
          Map.of("Location", statusUrl, "Preference-Applied", "respond-async"),
          view(task));
      return true;
    }
    Duration wait = prefer.waitFor().filter(w -> w.compareTo(limit()) < 0).orElse(limit());
    try {
      TaskOutcome outcome = tasks.await(task.id(), wait).get();
      if (outcome.completed() && asWorker) {
        JsonBodies.send(ex, outcome.statusCode(), outcome.result());
      } else if (outcome.completed()) {
        JsonBodies.send(ex, 200, view(outcome.task()));
      } else {
        Map<String, Object> failed = new LinkedHashMap<>();
        failed.put("detail", outcome.error());
        failed.put("task_id", task.id());
        failed.put("status", TaskState.FAILED.wire());
        failed.put("status_url", statusUrl);
        int status = outcome.failureStatus();
        ErrorMapping.send(
            ex, status, Map.of(), failed, status == 503 ? "no_worker_available" : "worker_failed");
      }
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TimeoutException) {
        Map<String, Object> late = new LinkedHashMap<>();
        late.put(
            "detail",
            "no result within "
                + wait.toSeconds()
                + "s; the task goes on: poll status_url for its result");
        late.put("task_id", task.id());
        late.put("status", tasks.task(task.id()).map(t -> t.state().wire()).orElse("unknown"));
        late.put("status_url", statusUrl);
        ErrorMapping.send(ex, 504, Map.of("Location", statusUrl), late, "worker_timeout");
      } else if (e.getCause() instanceof TaskRejection r) {
        throw new ApiException(r.kind().status(), r.getMessage());
      } else if (e.getCause() instanceof StoreException s) {
        throw storeUnavailable("the task could not be stored, so it was not accepted", s);
      } else {
        throw new IllegalStateException(e.getCause());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "the coordinator is stopping");
    }
    return true;
  }

  private void get(ServerRequest req, ServerResponse res) {
    String id = TaskWorkerService.taskId(req.path().pathParameters().get("task_id"));
    double waitSeconds =
        Math.min(
            TaskWorkerService.number(req, "wait", 0, 0, Double.MAX_VALUE),
            limit().toMillis() / 1000.0);
    Task task =
        tasks.task(id).orElseThrow(() -> ApiException.notFound("no task " + id + " is held"));
    if (!task.state().finished() && waitSeconds > 0) {
      try {
        tasks.await(id, Duration.ofMillis((long) (waitSeconds * 1000))).get();
      } catch (ExecutionException e) {
        // timed out (or forgotten): answer with how it stands
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      task = tasks.task(id).orElse(task);
    }
    JsonBodies.ok(res, view(task));
  }

  /**
   * 503 for a write the task store refused (a full disk, an I/O error): nothing of it is stored, so
   * the caller may send it again. Logged by the store, once per outage, not per request.
   */
  static ApiException storeUnavailable(String what, StoreException e) {
    return new ApiException(
        503,
        what + ": " + e.getMessage() + "; send it again later",
        Map.of("retry_after", 1),
        "store_unavailable");
  }

  private Duration limit() {
    return tasks.settings().resultWait();
  }

  /** A task as a client sees it. */
  static Map<String, Object> view(Task t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("task_id", t.id());
    m.put("status", t.state().wire());
    m.put("service", t.service());
    m.put("route", t.route());
    if (t.model() != null) {
      m.put("model", t.model());
    }
    m.put("attempt", t.attempt());
    m.put("max_attempts", t.maxAttempts());
    m.put("created_at", t.createdAt().toString());
    if (t.leaseDeadline() != null) {
      m.put("lease_deadline", t.leaseDeadline().toString());
    }
    if (t.finishedAt() != null) {
      m.put("finished_at", t.finishedAt().toString());
    }
    if (t.state() == TaskState.COMPLETED) {
      m.put("result", t.result());
      m.put("status_code", t.statusCode());
      m.put("worker_id", t.completedBy());
    }
    if (t.state() == TaskState.FAILED) {
      m.put("error", t.error());
      m.put("failure", t.failure().name().toLowerCase(Locale.ROOT));
    }
    if (!t.history().isEmpty()) {
      m.put("history", t.history());
    }
    m.put("status_url", "/api/inference/tasks/" + t.id());
    return m;
  }

  private static Optional<String> idempotencyKey(Exchange ex) {
    Optional<String> key = ex.header("Idempotency-Key");
    if (key.isPresent() && !IDEMPOTENCY_KEY.matcher(key.get()).matches()) {
      throw ApiException.badRequest(
          "Idempotency-Key must be 1 to 255 visible ASCII characters with no spaces");
    }
    return key;
  }

  /** RFC 7240 preferences: {@code respond-async}, {@code wait=N}. */
  private record Prefer(boolean async, Optional<Duration> waitFor) {}

  private static Prefer prefer(Exchange ex) {
    List<String> values = ex.headers("Prefer");
    boolean async = false;
    Optional<Duration> wait = Optional.empty();
    for (String v : values) {
      String lower = v.toLowerCase(Locale.ROOT);
      if (lower.contains("respond-async")) {
        async = true;
      }
      Matcher m = PREFER_WAIT.matcher(lower);
      if (m.find() && m.group(1).length() < 10) {
        wait = Optional.of(Duration.ofSeconds(Long.parseLong(m.group(1))));
      }
    }
    return new Prefer(async, wait);
  }
}
