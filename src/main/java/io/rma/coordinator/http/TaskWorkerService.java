package io.rma.coordinator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.StoreException;
import io.rma.coordinator.pool.WorkerView;
import io.rma.coordinator.tasks.PullDispatcher;
import io.rma.coordinator.tasks.Task;
import io.rma.coordinator.tasks.TaskRejection;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The pull worker's side, under {@code /api/worker}: {@code GET /tasks} (long poll), {@code POST
 * /tasks/{task_id}/result} (a result, an error, or a lease extension) and the original service's
 * {@code POST /task-complete} (query parameters and the result as the body, or all in the body).
 * Every call carries the worker's credential, checked as heartbeats are.
 */
public final class TaskWorkerService implements HttpService {
  static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");
  private static final int MAX_ERROR_CHARS = 4000;

  private final PullDispatcher tasks;
  private final Pool pool;
  private final WorkerAuthenticator auth;
  private final long maxBodyBytes;

  public TaskWorkerService(
      PullDispatcher tasks, Pool pool, WorkerAuthenticator auth, long maxBodyBytes) {
    this.tasks = tasks;
    this.pool = pool;
    this.auth = auth;
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void routing(HttpRules rules) {
    rules
        .get("/tasks", this::poll)
        .post("/tasks/{task_id}/result", this::result)
        .post("/task-complete", this::taskComplete);
  }

  private void poll(ServerRequest req, ServerResponse res) {
    String id =
        WorkerIds.require(
            req.query()
                .first("worker_id")
                .asOptional()
                .orElseThrow(() -> ApiException.badRequest("worker_id is required")));
    int max =
        (int)
            Math.min(number(req, "max", 1, 1, Integer.MAX_VALUE), tasks.settings().maxPollBatch());
    // Bounded: a larger wait is cut to the maximum, not refused.
    double waitSeconds =
        Math.min(
            number(req, "wait", 0, 0, Double.MAX_VALUE),
            tasks.settings().maxPollWait().toMillis() / 1000.0);
    Duration wait = Duration.ofMillis((long) (waitSeconds * 1000));
    known(req, id);
    WorkerView worker = pool.worker(id).orElseThrow(() -> notRegistered(id));

    Map<String, Object> answer = new LinkedHashMap<>();
    if (!PullDispatcher.pulls(worker.worker().getSpec())) {
      // The original agents poll in push mode and expect an empty list at once.
      answer.put("tasks", List.of());
      answer.put(
          "detail",
          "worker " + id + " is in push mode: register with \"mode\": \"pull\" to take tasks");
      JsonBodies.ok(res, answer);
      return;
    }
    List<Task> leased;
    if (worker.phase() != WorkerPhase.Healthy) {
      // Waits like any poll (no busy loop for the agent), but is handed nothing.
      leased = tasks.poll(id, List.of(), List.of(), max, wait);
      answer.put("detail", "worker " + id + " is " + worker.phase() + ": it gets no new tasks");
    } else {
      leased = tasks.poll(id, worker.services(), worker.models(), max, wait);
    }
    Instant now = pool.clock().instant();
    answer.put("tasks", leased.stream().map(t -> forWorker(t, now)).toList());
    try {
      JsonBodies.ok(res, answer);
    } catch (RuntimeException e) {
      // The worker went away while it waited: nobody has these tasks.
      tasks.release(id, leased);
      throw e;
    }
  }

  private void result(ServerRequest req, ServerResponse res) {
    String taskId = taskId(req.path().pathParameters().get("task_id"));
    JsonNode body = object(JsonBodies.read(req, maxBodyBytes));
    answer(req, res, taskId, body);
  }

  /**
   * The original service's call, in either of its shapes: {@code ?worker_id=..&task_id=..} with the
   * result as the whole JSON body (how the original agents call it), or a body {@code {worker_id,
   * task_id, result}}.
   */
  private void taskComplete(ServerRequest req, ServerResponse res) {
    Optional<String> queryTask = req.query().first("task_id").asOptional();
    Optional<String> queryWorker = req.query().first("worker_id").asOptional();
    if (queryTask.isPresent() || queryWorker.isPresent()) {
      String taskId =
          taskId(
              queryTask.orElseThrow(
                  () -> ApiException.unprocessable("task_id is required beside worker_id")));
      String worker =
          queryWorker.orElseThrow(
              () -> ApiException.unprocessable("worker_id is required beside task_id"));
      ObjectNode wrapped = JsonBodies.WIRE.createObjectNode();
      wrapped.put("worker_id", worker);
      wrapped.set("result", JsonBodies.read(req, maxBodyBytes));
      answer(req, res, taskId, wrapped);
      return;
    }
    JsonNode body = object(JsonBodies.read(req, maxBodyBytes));
    JsonNode id = body.get("task_id");
    if (id == null || !id.isTextual()) {
      throw ApiException.unprocessable("task_id is required and must be a string");
    }
    answer(req, res, taskId(id.asText()), body);
  }

  private void answer(ServerRequest req, ServerResponse res, String taskId, JsonNode body) {
    JsonNode workerNode = body.get("worker_id");
    if (workerNode == null || !workerNode.isTextual()) {
      throw ApiException.unprocessable("worker_id is required and must be a string");
    }
    String worker = WorkerIds.require(workerNode.asText());
    Integer attempt = attempt(body.get("attempt"));
    JsonNode error = body.get("error");
    boolean hasError = error != null && !error.isNull();
    JsonNode extend = body.get("extend_lease");
    if (!hasError && !body.has("result") && extend == null) {
      throw ApiException.unprocessable(
          "send \"result\", \"error\", or \"extend_lease\" (seconds to keep the task)");
    }
    Integer statusCode = statusCode(body.get("status_code"));
    boolean retryable = retryable(body.get("retryable"));
    Duration by = extend == null ? null : extension(extend);
    known(req, worker);

    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("task_id", taskId);
    try {
      if (hasError) {
        Task t = tasks.fail(taskId, worker, attempt, errorText(error), retryable);
        answer.put("status", "accepted");
        answer.put("task_status", t.state().wire());
        answer.put("attempt", t.attempt());
      } else if (body.has("result")) {
        Task t = tasks.complete(taskId, worker, attempt, body.get("result"), statusCode);
        answer.put("status", "accepted");
        answer.put("task_status", t.state().wire());
        answer.put("attempt", t.attempt());
      } else {
        Task t = tasks.extend(taskId, worker, attempt, by);
        answer.put("status", "extended");
        answer.put("attempt", t.attempt());
        answer.put("lease_deadline", t.leaseDeadline().toString());
        answer.put("lease_seconds", by.toSeconds());
      }
    } catch (TaskRejection e) {
      throw new ApiException(e.kind().status(), e.getMessage());
    } catch (StoreException e) {
      throw TaskClientService.storeUnavailable(
          "the answer could not be stored, so it was not accepted", e);
    }
    JsonBodies.ok(res, answer);
  }

  /** The registered worker behind a call, with its credential checked (as heartbeats are). */
  private RMAWorker known(ServerRequest req, String id) {
    RMAWorker worker = pool.store().get(id).orElseThrow(() -> notRegistered(id));
    auth.check(req, worker);
    return worker;
  }

  private static ApiException notRegistered(String id) {
    return new ApiException(
        404,
        "worker " + id + " is not registered: register again with POST /api/worker/register",
        Map.of("action", "register"));
  }

  /** A task as its worker receives it. */
  static Map<String, Object> forWorker(Task t, Instant now) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("task_id", t.id());
    m.put("service", t.service());
    m.put("route", t.route());
    if (t.model() != null) {
      m.put("model", t.model());
    }
    m.put("request", t.request());
    m.put("attempt", t.attempt());
    m.put("max_attempts", t.maxAttempts());
    m.put("lease_deadline", t.leaseDeadline().toString());
    // Seconds left as well: the worker's clock may not agree with ours.
    m.put("lease_seconds", Math.max(0, Duration.between(now, t.leaseDeadline()).toSeconds()));
    m.put("result_url", "/api/worker/tasks/" + t.id() + "/result");
    return m;
  }

  static String taskId(String raw) {
    if (raw == null || !TASK_ID.matcher(raw).matches()) {
      throw ApiException.badRequest("malformed task id");
    }
    return raw;
  }

  private static JsonNode object(JsonNode body) {
    if (!body.isObject()) {
      throw ApiException.unprocessable("the body must be a JSON object");
    }
    return body;
  }

  /** A query parameter that must be a number within bounds; absent = {@code fallback}. */
  static double number(ServerRequest req, String name, double fallback, double min, double max) {
    Optional<String> raw = req.query().first(name).asOptional();
    if (raw.isEmpty() || raw.get().isBlank()) {
      return fallback;
    }
    double v;
    try {
      v = Double.parseDouble(raw.get().trim());
    } catch (NumberFormatException e) {
      throw ApiException.badRequest(name + " must be a number");
    }
    if (!Double.isFinite(v) || v < min || v > max) {
      throw ApiException.badRequest(name + " must be a number from " + (long) min + " up");
    }
    return v;
  }

  private static Integer attempt(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 1) {
      throw ApiException.unprocessable("attempt must be a whole number from 1 up");
    }
    return n.asInt();
  }

  private static Integer statusCode(JsonNode n) {
    if (n == null || n.isNull()) {
      return 200;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 200 || n.asInt() > 499) {
      throw ApiException.unprocessable(
          "status_code must be the worker's HTTP status from 200 to 499; report failures as"
              + " \"error\"");
    }
    return n.asInt();
  }

  private static boolean retryable(JsonNode n) {
    if (n == null || n.isNull()) {
      return true;
    }
    if (!n.isBoolean()) {
      throw ApiException.unprocessable("retryable must be true or false");
    }
    return n.asBoolean();
  }

  private Duration extension(JsonNode n) {
    long maxSeconds = tasks.settings().maxLease().toSeconds();
    if (!n.isNumber() || !(n.asDouble() > 0) || n.asDouble() > maxSeconds) {
      throw ApiException.unprocessable(
          "extend_lease must be a number of seconds above 0 and at most " + maxSeconds);
    }
    return Duration.ofMillis(Math.max(1, (long) (n.asDouble() * 1000)));
  }

  private static String errorText(JsonNode error) {
    String text = error.isTextual() ? error.asText() : error.toString();
    if (text.isBlank()) {
      text = "(no message)";
    }
    return text.length() > MAX_ERROR_CHARS ? text.substring(0, MAX_ERROR_CHARS) + "..." : text;
  }
}
