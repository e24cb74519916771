package io.rma.coordinator.tasks;

import static io.rma.coordinator.tasks.PullWorker.client;
import static io.rma.coordinator.tasks.PullWorker.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.CoordinatorFixture.Answer;
import io.rma.coordinator.testing.MutableClock;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Pull workers over real HTTP: a real coordinator on a random port, workers and clients as threads
 * with an HTTP client. Time rules (Offline, lease deadlines) move with a {@link MutableClock}; the
 * only real waits are long polls, each bounded.
 */
class PullWorkerTest {
  private static final String RAG_TASK = "{\"service\": \"rag\", \"request\": {\"query\": \"q\"}}";
  private static final Map<String, String> ASYNC = Map.of("Prefer", "respond-async");

  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private CoordinatorFixture api;

  private CoordinatorFixture start(Map<String, String> env) {
    api = new CoordinatorFixture(env, clock);
    return api;
  }

  @AfterEach
  void stop() {
    threads.shutdownNow();
    if (api != null) {
      api.close();
    }
  }

  private <T> CompletableFuture<T> inBackground(Supplier<T> call) {
    return CompletableFuture.supplyAsync(call, threads);
  }

  private CompletableFuture<HttpResponse<String>> clientWaits(String body) {
    return inBackground(() -> client(api, "POST", "/api/inference/tasks", body, Map.of()));
  }

  private String submitAsync(String body) {
    HttpResponse<String> r = client(api, "POST", "/api/inference/tasks", body, ASYNC);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return json(r).get("task_id").asText();
  }

  private static <T> T done(CompletableFuture<T> f) throws Exception {
    return f.get(20, TimeUnit.SECONDS);
  }

  @Test
  void aTaskIsDeliveredToAPullWorkerAndTheClientGetsItsAnswer() throws Exception {
    start(Map.of());
    PullWorker worker = PullWorker.register(api, "rag");
    CompletableFuture<HttpResponse<String>> client = clientWaits(RAG_TASK);

    JsonNode task = worker.pollOne();
    assertThat(task.get("service").asText()).isEqualTo("rag");
    assertThat(task.get("route").asText()).isEqualTo("/query");
    assertThat(task.get("request").get("query").asText()).isEqualTo("q");
    assertThat(task.get("attempt").asInt()).isEqualTo(1);
    assertThat(task.get("lease_deadline").asText()).isEqualTo("2026-01-01T00:01:00Z");
    assertThat(task.get("lease_seconds").asInt()).isEqualTo(60);

    Answer accepted = worker.answer(task, "{\"answer\": \"42\"}");
    assertThat(accepted.status()).as(accepted.body()).isEqualTo(200);
    assertThat(accepted.json().get("task_status").asText()).isEqualTo("completed");

    HttpResponse<String> answer = done(client);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    JsonNode body = json(answer);
    assertThat(body.get("status").asText()).isEqualTo("completed");
    assertThat(body.get("result").get("answer").asText()).isEqualTo("42");
    assertThat(body.get("worker_id").asText()).isEqualTo(worker.id);

    JsonNode polled = api.get("/api/inference/tasks/" + task.get("task_id").asText()).json();
    assertThat(polled.get("status").asText()).isEqualTo("completed");
    assertThat(polled.get("result").get("answer").asText()).isEqualTo("42");

    // The health loop folds the count into the worker's status (one write), admin stats sum it,
    // and the next pass, with no new result, writes nothing.
    assertThat(api.coordinator.loop().runOnce().statusWrites()).isEqualTo(1);
    assertThat(api.coordinator.loop().runOnce().statusWrites()).isZero();
    assertThat(api.get("/api/admin/stats").json().get("total_tasks_completed").asLong())
        .isEqualTo(1);
    assertThat(
            api.get("/api/admin/workers")
                .json()
                .get("workers")
                .get(0)
                .get("tasks_completed")
                .asLong())
        .isEqualTo(1);
    assertThat(api.coordinator.store().get(worker.id).orElseThrow().getStatus().getTasksCompleted())
        .isEqualTo(1);
  }

  @Test
  void aLongPollReturnsAsSoonAsATaskArrives() throws Exception {
    start(Map.of());
    PullWorker worker = PullWorker.register(api, "rag");
    long before = System.nanoTime();
    assertThat(worker.poll(1, 0.3)).isEmpty();
    assertThat(System.nanoTime() - before).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());

    CompletableFuture<List<JsonNode>> poll = inBackground(() -> worker.poll(1, 25));
    await().atMost(Duration.ofSeconds(10)).until(() -> api.coordinator.tasks().waitingPolls() == 1);
    long queued = System.nanoTime();
    String id = submitAsync(RAG_TASK);
    List<JsonNode> got = poll.get(10, TimeUnit.SECONDS);
    long tookMillis = Duration.ofNanos(System.nanoTime() - queued).toMillis();

    assertThat(got)
        .singleElement()
        .satisfies(t -> assertThat(t.get("task_id").asText()).isEqualTo(id));
    // The poll asked to wait 25 s; it came back with the task, not at the end of the wait.
    assertThat(tookMillis).isLessThan(5_000);
    assertThat(api.coordinator.tasks().waitingPolls()).isZero();
  }

  @Test
  void aVanishedWorkersTaskGoesToAnotherWorkerAndItsLateResultIsRefused() throws Exception {
    start(Map.of());
    PullWorker vanishing = PullWorker.register(api, "rag");
    PullWorker steady = PullWorker.register(api, "rag");
    CompletableFuture<HttpResponse<String>> client = clientWaits(RAG_TASK);
    JsonNode first = vanishing.pollOne();
    String id = first.get("task_id").asText();

    // The first worker stops beating; the other goes on. Its lease (60 s) has not run out when
    // the sweep sees it Offline, so the task moves on heartbeats alone.
    clock.advance(Duration.ofSeconds(95));
    steady.heartbeat();
    CompletableFuture<List<JsonNode>> waiting = inBackground(() -> steady.poll(1, 20));
    await().atMost(Duration.ofSeconds(10)).until(() -> api.coordinator.tasks().waitingPolls() == 1);
    assertThat(api.coordinator.tasks().sweep().requeued()).isEqualTo(1);

    // The waiting poll of the healthy worker is handed the task at once.
    JsonNode second = waiting.get(10, TimeUnit.SECONDS).get(0);
    assertThat(second.get("task_id").asText()).isEqualTo(id);
    assertThat(second.get("attempt").asInt()).isEqualTo(2);

    Answer tooLate = vanishing.answer(first, "{\"by\": \"vanishing\"}");
    assertThat(tooLate.status()).as(tooLate.body()).isEqualTo(409);
    assertThat(tooLate.json().get("detail").asText())
        .contains("not leased to worker " + vanishing.id);

    assertThat(steady.answer(second, "{\"by\": \"steady\"}").status()).isEqualTo(200);
    HttpResponse<String> answer = done(client);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    assertThat(json(answer).get("result").get("by").asText()).isEqualTo("steady");
    assertThat(json(answer).get("history").get(0).asText())
        .contains("worker " + vanishing.id, "Offline");

    // After the task is done, the vanished worker's result still changes nothing.
    Answer stillLate = vanishing.answer(first, "{\"by\": \"vanishing\"}");
    assertThat(stillLate.status()).isEqualTo(409);
    assertThat(stillLate.json().get("detail").asText()).contains("already completed");
    assertThat(api.get("/api/inference/tasks/" + id).json().get("result").get("by").asText())
        .isEqualTo("steady");
  }

  @Test
  void aLeaseThatRunsOutIsRedeliveredAndAnExtendedOneIsNot() throws Exception {
    start(Map.of());
    PullWorker slow = PullWorker.register(api, "rag");
    PullWorker other = PullWorker.register(api, "rag");
    String extendedId = submitAsync(RAG_TASK);
    JsonNode extended = slow.pollOne();
    Answer extension =
        slow.post(
            "/api/worker/tasks/" + extendedId + "/result",
            "{\"worker_id\": \"" + slow.id + "\", \"extend_lease\": 300}");
    assertThat(extension.status()).as(extension.body()).isEqualTo(200);
    assertThat(extension.json().get("lease_deadline").asText()).isEqualTo("2026-01-01T00:05:00Z");

    String expiringId = submitAsync(RAG_TASK);
    JsonNode expiring = slow.pollOne();
    assertThat(expiring.get("task_id").asText()).isEqualTo(expiringId);

    clock.advance(Duration.ofSeconds(61));
    slow.heartbeat();
    other.heartbeat();
    assertThat(api.coordinator.tasks().sweep().requeued()).isEqualTo(1);
    JsonNode again = other.pollOne();
    assertThat(again.get("task_id").asText()).isEqualTo(expiringId);
    assertThat(slow.answer(expiring, "1").status()).isEqualTo(409);
    assertThat(slow.answer(extended, "1").status()).isEqualTo(200);
  }

  @Test
  void afterTheLastFailedAttemptTheClientIsToldWhy() throws Exception {
    start(Map.of());
    PullWorker worker = PullWorker.register(api, "rag");
    CompletableFuture<HttpResponse<String>> client = clientWaits(RAG_TASK);
    for (int attempt = 1; attempt <= 3; attempt++) {
      JsonNode task = worker.pollOne();
      assertThat(task.get("attempt").asInt()).isEqualTo(attempt);
      Answer a = worker.error(task, "CUDA out of memory (attempt " + attempt + ")");
      assertThat(a.status()).as(a.body()).isEqualTo(200);
      assertThat(a.json().get("task_status").asText()).isEqualTo(attempt < 3 ? "queued" : "failed");
    }
    HttpResponse<String> answer = done(client);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(502);
    assertThat(json(answer).get("detail").asText())
        .contains("failed after 3 attempts", "CUDA out of memory (attempt 1)", "(attempt 3)");
    String id = json(answer).get("task_id").asText();
    JsonNode status = api.get("/api/inference/tasks/" + id).json();
    assertThat(status.get("status").asText()).isEqualTo("failed");
    assertThat(status.get("failure").asText()).isEqualTo("attempts_exhausted");
    assertThat(status.get("history")).hasSize(3);
  }

  @Test
  void theSameIdempotencyKeyGivesTheSameTask() throws Exception {
    start(Map.of());
    PullWorker worker = PullWorker.register(api, "rag");
    Map<String, String> keyed = new HashMap<>(ASYNC);
    keyed.put("Idempotency-Key", "order-17");
    HttpResponse<String> first = client(api, "POST", "/api/inference/tasks", RAG_TASK, keyed);
    HttpResponse<String> second = client(api, "POST", "/api/inference/tasks", RAG_TASK, keyed);
    assertThat(first.statusCode()).isEqualTo(202);
    assertThat(second.statusCode()).isEqualTo(202);
    String id = json(first).get("task_id").asText();
    assertThat(json(second).get("task_id").asText()).isEqualTo(id);
    assertThat(api.coordinator.tasks().stats().get("queued")).isEqualTo(1);

    HttpResponse<String> otherBody =
        client(
            api,
            "POST",
            "/api/inference/tasks",
            "{\"service\": \"rag\", \"request\": {\"query\": \"other\"}}",
            keyed);
    assertThat(otherBody.statusCode()).as(otherBody.body()).isEqualTo(422);
    assertThat(json(otherBody).get("detail").asText()).contains("order-17", id);

    JsonNode task = worker.pollOne();
    assertThat(worker.answer(task, "{\"n\": 1}").status()).isEqualTo(200);
    // Once done, the key answers with the result at once (no new task, no wait).
    HttpResponse<String> third =
        client(
            api, "POST", "/api/inference/tasks", RAG_TASK, Map.of("Idempotency-Key", "order-17"));
    assertThat(third.statusCode()).as(third.body()).isEqualTo(200);
    assertThat(json(third).get("task_id").asText()).isEqualTo(id);
    assertThat(json(third).get("result").get("n").asInt()).isEqualTo(1);
    assertThat(worker.poll(5, 0)).isEmpty();
  }

  @Test
  void aFullQueueAnswers429WithRetryAfter() {
    start(Map.of("RMA_TASK_QUEUE_CAPACITY", "2"));
    PullWorker.register(api, "rag");
    submitAsync(RAG_TASK);
    submitAsync(RAG_TASK);
    HttpResponse<String> full = client(api, "POST", "/api/inference/tasks", RAG_TASK, ASYNC);
    assertThat(full.statusCode()).as(full.body()).isEqualTo(429);
    assertThat(full.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(json(full).get("detail").asText()).contains("queue of service rag is full");
  }

  @Test
  void anAsyncClientGetsA202AndPollsTheUrl() throws Exception {
    start(Map.of());
    PullWorker worker = PullWorker.register(api, "rag");
    HttpResponse<String> accepted = client(api, "POST", "/api/inference/tasks", RAG_TASK, ASYNC);
    assertThat(accepted.statusCode()).isEqualTo(202);
    String location = accepted.headers().firstValue("Location").orElseThrow();
    assertThat(json(accepted).get("status_url").asText()).isEqualTo(location);
    assertThat(api.get(location).json().get("status").asText()).isEqualTo("queued");

    JsonNode task = worker.pollOne();
    assertThat(api.get(location).json().get("status").asText()).isEqualTo("leased");
    CompletableFuture<Answer> waiting = inBackground(() -> api.get(location + "?wait=8"));
    // The original agents' call: {worker_id, task_id, result}.
    Answer complete =
        worker.post(
            "/api/worker/task-complete",
            "{\"worker_id\": \""
                + worker.id
                + "\", \"task_id\": \""
                + task.get("task_id").asText()
                + "\", \"result\": {\"text\": \"hi\"}}");
    assertThat(complete.status()).as(complete.body()).isEqualTo(200);
    JsonNode finished = done(waiting).json();
    assertThat(finished.get("status").asText()).isEqualTo("completed");
    assertThat(finished.get("result").get("text").asText()).isEqualTo("hi");
  }

  @Test
  void aSynchronousCallThatWaitsTooLongGets504AndTheTaskGoesOn() {
    start(Map.of());
    PullWorker.register(api, "rag");
    HttpResponse<String> late =
        client(api, "POST", "/api/inference/tasks", RAG_TASK, Map.of("Prefer", "wait=1"));
    assertThat(late.statusCode()).as(late.body()).isEqualTo(504);
    String url = json(late).get("status_url").asText();
    assertThat(api.get(url).json().get("status").asText()).isEqualTo("queued");
  }

  @Test
  void aWaitingPollOfAWorkerThatIsNoLongerHealthyIsTurnedAway() throws Exception {
    start(Map.of());
    PullWorker worker = PullWorker.register(api, "rag");
    CompletableFuture<List<JsonNode>> waiting = inBackground(() -> worker.poll(1, 20));
    await().atMost(Duration.ofSeconds(10)).until(() -> api.coordinator.tasks().waitingPolls() == 1);
    worker.heartbeat("degraded");
    api.coordinator.tasks().sweep();
    assertThat(waiting.get(10, TimeUnit.SECONDS)).isEmpty();
    // Another worker (not polling now) can take rag work, so the task is accepted; it waits for
    // that worker rather than going to the degraded one.
    PullWorker.register(api, "rag");
    String id = submitAsync(RAG_TASK);
    assertThat(api.get("/api/inference/tasks/" + id).json().get("status").asText())
        .isEqualTo("queued");
  }

  @Test
  void whoMayPollAndWhoGetsWhat() {
    start(Map.of("RMA_WORKER_AUTH", "token"));
    PullWorker pull = PullWorker.register(api, "rag");
    PullWorker push = PullWorker.registerInMode(api, "push", "rag");
    PullWorker degraded = PullWorker.register(api, "rag");
    degraded.heartbeat("degraded");
    submitAsync(RAG_TASK);

    Answer pushPoll = push.pollAnswer(1, 0);
    assertThat(pushPoll.status()).isEqualTo(200);
    assertThat(pushPoll.json().get("tasks")).isEmpty();
    assertThat(pushPoll.json().get("detail").asText()).contains("push mode");
    Answer degradedPoll = degraded.pollAnswer(1, 0);
    assertThat(degradedPoll.json().get("tasks")).isEmpty();
    assertThat(degradedPoll.json().get("detail").asText()).contains("Degraded");

    String path = "/api/worker/tasks?worker_id=" + pull.id;
    assertThat(api.get(path).status()).isEqualTo(401);
    assertThat(api.get(path, push.token).status()).isEqualTo(403);
    Answer unknown = api.get("/api/worker/tasks?worker_id=nobody-here", pull.token);
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().get("action").asText()).isEqualTo("register");
    assertThat(pull.poll(1, 0)).hasSize(1);

    HttpResponse<String> noWorker =
        client(
            api,
            "POST",
            "/api/inference/tasks",
            "{\"service\": \"ner\", \"request\": {\"text\": \"t\"}}",
            ASYNC);
    assertThat(noWorker.statusCode()).isEqualTo(503);
    assertThat(json(noWorker).get("detail").asText()).contains("no Healthy pull worker", "ner");
  }

  @Test
  void badInputIsAJsonErrorNeverA500() {
    start(Map.of("RMA_MAX_BODY_BYTES", "2048"));
    PullWorker worker = PullWorker.register(api, "rag");
    String id = submitAsync(RAG_TASK);
    String result = "/api/worker/tasks/" + id + "/result";
    Map<String, Integer> cases = new HashMap<>();
    cases.put("/api/inference/tasks|{not json", 400);
    cases.put("/api/inference/tasks|[1]", 422);
    cases.put("/api/inference/tasks|{\"service\": 3, \"request\": {}}", 422);
    cases.put("/api/inference/tasks|{\"service\": \"nope\", \"request\": {}}", 422);
    cases.put("/api/inference/tasks|{\"service\": \"postgres\", \"request\": {}}", 422);
    cases.put("/api/inference/tasks|{\"service\": \"rag\"}", 422);
    cases.put("/api/inference/tasks|{\"service\": \"rag\", \"route\": 5, \"request\": 1}", 422);
    cases.put("/api/inference/tasks|{\"request\": \"" + "x".repeat(3000) + "\"}", 413);
    cases.put(result + "|{\"worker_id\": \"" + worker.id + "\"}", 422);
    cases.put(result + "|{\"result\": 1}", 422);
    cases.put(
        result + "|{\"worker_id\": \"" + worker.id + "\", \"attempt\": \"x\", \"result\": 1}", 422);
    cases.put(
        result + "|{\"worker_id\": \"" + worker.id + "\", \"status_code\": 700, \"result\": 1}",
        422);
    cases.put(result + "|{\"worker_id\": \"" + worker.id + "\", \"extend_lease\": -5}", 422);
    cases.put(
        result + "|{\"worker_id\": \"" + worker.id + "\", \"retryable\": 1, \"error\": \"e\"}",
        422);
    cases.put(result + "|{\"worker_id\": \"" + worker.id + "\", \"result\": 1}", 409);
    cases.put(
        "/api/worker/tasks/bad%20id/result|{\"worker_id\": \"" + worker.id + "\", \"result\": 1}",
        400);
    cases.put(
        "/api/worker/tasks/no-such-task/result|{\"worker_id\": \""
            + worker.id
            + "\", \"result\": 1}",
        404);
    cases.put(
        "/api/worker/task-complete|{\"worker_id\": \"" + worker.id + "\", \"result\": 1}", 422);
    cases.forEach(
        (call, status) -> {
          String[] parts = call.split("\\|", 2);
          Answer a = worker.post(parts[0], parts[1]);
          assertThat(a.status()).as(call + " -> " + a.body()).isEqualTo(status);
          assertThat(a.json().get("detail").asText()).as(call).isNotBlank();
        });
    for (String query : List.of("max=abc", "max=0", "wait=-1", "wait=NaN", "wait=1e999")) {
      Answer a = api.get("/api/worker/tasks?worker_id=" + worker.id + "&" + query, worker.token);
      assertThat(a.status()).as(query + " -> " + a.body()).isEqualTo(400);
    }
    assertThat(api.get("/api/worker/tasks", worker.token).status()).isEqualTo(400);
    assertThat(api.get("/api/inference/tasks/no-such-task").status()).isEqualTo(404);
    assertThat(
            client(api, "POST", "/api/inference/tasks", RAG_TASK, Map.of("Idempotency-Key", "a b"))
                .statusCode())
        .isEqualTo(400);
    // A max above the maximum batch is cut to it, not refused.
    assertThat(
            api.get("/api/worker/tasks?worker_id=" + worker.id + "&max=1000", worker.token)
                .status())
        .isEqualTo(200);
  }
}
