package io.rma.coordinator.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rma.coordinator.tasks.TaskRejection.Kind;
import io.rma.coordinator.testing.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The queue's rules with a moved clock: no threads, no HTTP, no file. */
class TaskQueueTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");

  private TaskQueue queue(int capacity, int attempts) {
    return queue(capacity, attempts, TaskSettings.defaults().maxBytes());
  }

  private TaskQueue queue(int capacity, int attempts, long maxBytes) {
    TaskSettings d = TaskSettings.defaults();
    return new TaskQueue(
        new TaskSettings(
            capacity,
            attempts,
            Duration.ofSeconds(60),
            d.maxLease(),
            Duration.ofMinutes(5),
            Duration.ofMinutes(10),
            d.resultWait(),
            d.maxPollWait(),
            d.maxPollBatch(),
            d.retryAfter(),
            maxBytes),
        clock);
  }

  private static JsonNode body(String json) {
    try {
      return JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static Task submit(TaskQueue q, String service, String model) {
    return q.submit(service, "/query", model, body("{\"q\": 1}"), null, null, 10).task();
  }

  @Test
  void workersTakeTheOldestTaskOfTheirServicesOnly() {
    TaskQueue q = queue(10, 3);
    Task rag1 = submit(q, "rag", null);
    Task ner = submit(q, "ner", null);
    Task rag2 = submit(q, "rag", null);

    assertThat(q.lease("w1", List.of("vllm"), List.of(), 5)).isEmpty();
    List<Task> got = q.lease("w1", List.of("rag", "ner"), List.of(), 2);
    assertThat(got).extracting(Task::id).containsExactly(rag1.id(), ner.id());
    assertThat(got.get(0).state()).isEqualTo(TaskState.LEASED);
    assertThat(got.get(0).attempt()).isEqualTo(1);
    assertThat(got.get(0).leaseHolder()).isEqualTo("w1");
    assertThat(got.get(0).leaseDeadline()).isEqualTo(clock.instant().plusSeconds(60));
    assertThat(q.lease("w2", List.of("rag"), List.of(), 5))
        .extracting(Task::id)
        .containsExactly(rag2.id());
  }

  @Test
  void aWorkerThatListsModelsGetsOnlyTasksForThem() {
    TaskQueue q = queue(10, 3);
    Task mistral = submit(q, "vllm", "mistral");
    Task llama = submit(q, "vllm", "llama3");
    Task any = submit(q, "vllm", null);

    assertThat(q.lease("w1", List.of("vllm"), List.of("llama3"), 5))
        .extracting(Task::id)
        .containsExactly(llama.id(), any.id());
    assertThat(q.lease("w2", List.of("vllm"), List.of(), 5))
        .extracting(Task::id)
        .containsExactly(mistral.id());
  }

  @Test
  void aFullQueueRefusesWithRetryAfterAndChangesNothing() {
    TaskQueue q = queue(2, 3);
    submit(q, "rag", null);
    submit(q, "rag", null);
    assertThatThrownBy(() -> submit(q, "rag", null))
        .isInstanceOfSatisfying(
            TaskRejection.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.QUEUE_FULL);
              assertThat(e.kind().status()).isEqualTo(429);
              assertThat(e.retryAfter()).isPositive();
            });
    assertThat(q.queued("rag")).isEqualTo(2);
    // Other services have their own queue; a leased task frees a place.
    submit(q, "ner", null);
    q.lease("w", List.of("rag"), List.of(), 1);
    submit(q, "rag", null);
    assertThat(q.queued("rag")).isEqualTo(2);
  }

  @Test
  void onlyTheLeaseHolderOfTheCurrentAttemptMayAnswer() {
    TaskQueue q = queue(10, 3);
    Task t = submit(q, "rag", null);
    q.lease("w1", List.of("rag"), List.of(), 1);

    assertThatThrownBy(() -> q.complete(t.id(), "w2", null, body("1"), 200, 10))
        .isInstanceOfSatisfying(
            TaskRejection.class, e -> assertThat(e.kind()).isEqualTo(Kind.CONFLICT));
    assertThatThrownBy(() -> q.complete(t.id(), "w1", 2, body("1"), 200, 10))
        .isInstanceOfSatisfying(
            TaskRejection.class, e -> assertThat(e.getMessage()).contains("current attempt is 1"));
    assertThatThrownBy(() -> q.complete("nope", "w1", null, body("1"), 200, 10))
        .isInstanceOfSatisfying(
            TaskRejection.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));

    Task done = q.complete(t.id(), "w1", 1, body("{\"answer\": 42}"), 200, 10);
    assertThat(done.state()).isEqualTo(TaskState.COMPLETED);
    assertThat(done.result().get("answer").asInt()).isEqualTo(42);
    assertThat(done.request()).isNull();
    // A duplicate changes nothing.
    assertThatThrownBy(() -> q.complete(t.id(), "w1", 1, body("{\"answer\": 0}"), 200, 10))
        .isInstanceOfSatisfying(
            TaskRejection.class, e -> assertThat(e.kind()).isEqualTo(Kind.CONFLICT));
    assertThat(q.get(t.id()).orElseThrow().result().get("answer").asInt()).isEqualTo(42);
  }

  @Test
  void aLeaseThatRunsOutGoesBackToTheQueueAndFailsAfterTheLastAttempt() {
    TaskQueue q = queue(10, 2);
    Task t = submit(q, "rag", null);
    q.lease("w1", List.of("rag"), List.of(), 1);

    clock.advance(Duration.ofSeconds(59));
    assertThat(q.sweep(w -> false).changed()).isEmpty();
    clock.advance(Duration.ofSeconds(1));
    TaskQueue.Swept swept = q.sweep(w -> false);
    assertThat(swept.changed()).singleElement().extracting(Task::state).isEqualTo(TaskState.QUEUED);
    assertThat(swept.changed().get(0).history())
        .singleElement()
        .asString()
        .contains("lease ran out");

    // The late answer of the first attempt changes nothing.
    assertThatThrownBy(() -> q.complete(t.id(), "w1", 1, body("1"), 200, 10))
        .isInstanceOf(TaskRejection.class);

    Task second = q.lease("w2", List.of("rag"), List.of(), 1).get(0);
    assertThat(second.attempt()).isEqualTo(2);
    clock.advance(Duration.ofSeconds(60));
    Task failed = q.sweep(w -> false).changed().get(0);
    assertThat(failed.state()).isEqualTo(TaskState.FAILED);
    assertThat(failed.failure()).isEqualTo(Failure.ATTEMPTS_EXHAUSTED);
    assertThat(failed.error()).contains("after 2 attempts", "worker w1", "worker w2");
  }

  @Test
  void aHolderThatGoesOfflineLosesItsLeaseBeforeTheDeadline() {
    TaskQueue q = queue(10, 3);
    Task t = submit(q, "rag", null);
    q.lease("w1", List.of("rag"), List.of(), 1);
    Task back = q.sweep(Set.of("w1")::contains).changed().get(0);
    assertThat(back.state()).isEqualTo(TaskState.QUEUED);
    assertThat(back.history().get(0)).contains("w1", "Offline");
    assertThat(q.lease("w2", List.of("rag"), List.of(), 1).get(0).id()).isEqualTo(t.id());
  }

  @Test
  void workerErrorsCountAsAttemptsAndANonRetryableOneFailsAtOnce() {
    TaskQueue q = queue(10, 3);
    Task t = submit(q, "rag", null);
    for (int i = 1; i <= 2; i++) {
      q.lease("w" + i, List.of("rag"), List.of(), 1);
      assertThat(q.fail(t.id(), "w" + i, i, "out of memory " + i, true).state())
          .isEqualTo(TaskState.QUEUED);
    }
    q.lease("w3", List.of("rag"), List.of(), 1);
    Task failed = q.fail(t.id(), "w3", 3, "out of memory 3", true);
    assertThat(failed.state()).isEqualTo(TaskState.FAILED);
    assertThat(failed.error())
        .contains("after 3 attempts", "out of memory 1", "out of memory 2", "out of memory 3");

    Task other = submit(q, "rag", null);
    q.lease("w1", List.of("rag"), List.of(), 1);
    Task rejected = q.fail(other.id(), "w1", 1, "prompt too long", false);
    assertThat(rejected.failure()).isEqualTo(Failure.REJECTED);
    assertThat(rejected.error()).contains("prompt too long");
  }

  @Test
  void anUndeliveredLeaseGoesBackWithoutCountingTheAttempt() {
    TaskQueue q = queue(10, 3);
    submit(q, "rag", null);
    List<Task> got = q.lease("w1", List.of("rag"), List.of(), 1);
    assertThat(q.release("w1", got)).singleElement().extracting(Task::attempt).isEqualTo(0);
    assertThat(q.lease("w2", List.of("rag"), List.of(), 1).get(0).attempt()).isEqualTo(1);
  }

  @Test
  void theSameIdempotencyKeyReturnsTheSameTaskAndADifferentRequestIsRefused() {
    TaskQueue q = queue(10, 3);
    Task first = q.submit("rag", "/query", null, body("{\"q\": 1}"), "k1", "d1", 10).task();
    TaskQueue.Submitted again = q.submit("rag", "/query", null, body("{\"q\": 1}"), "k1", "d1", 10);
    assertThat(again.created()).isFalse();
    assertThat(again.task().id()).isEqualTo(first.id());
    assertThat(q.queued("rag")).isEqualTo(1);
    assertThatThrownBy(() -> q.submit("rag", "/query", null, body("{\"q\": 2}"), "k1", "d2", 10))
        .isInstanceOfSatisfying(
            TaskRejection.class, e -> assertThat(e.kind()).isEqualTo(Kind.KEY_REUSED));
  }

  @Test
  void finishedTasksAreForgottenAfterTheRetention() {
    TaskQueue q = queue(10, 3);
    Task a = q.submit("rag", "/query", null, body("1"), "ka", "d", 10).task();
    q.lease("w", List.of("rag"), List.of(), 1);
    q.complete(a.id(), "w", 1, body("1"), 200, 10);
    clock.advance(Duration.ofMinutes(9));
    assertThat(q.sweep(w -> false).removed()).isEmpty();
    clock.advance(Duration.ofMinutes(1));
    assertThat(q.sweep(w -> false).removed()).containsExactly(a.id());
    assertThat(q.get(a.id())).isEmpty();
    assertThat(q.byKey("ka")).isEmpty();
  }

  @Test
  void theMemoryBudgetLetsTheOldestFinishedGoFirstAndOnlyThem() {
    Task done = finishedTask(queue(10, 3));
    // Room for three such tasks: five finished ones come down to the newest three.
    TaskQueue q = queue(10, 3, 3 * done.footprint() + 10);
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(finishedTask(q).id());
    }
    Task live = submit(q, "rag", null);
    List<String> removed = q.sweep(w -> false).removed();
    assertThat(removed).containsExactly(ids.get(0), ids.get(1), ids.get(2));
    assertThat(q.get(ids.get(4))).isPresent();
    assertThat(q.get(live.id())).isPresent();
    assertThat(q.heldBytes()).isLessThanOrEqualTo(3 * done.footprint() + 10);
  }

  private static Task finishedTask(TaskQueue q) {
    Task t = submit(q, "rag", null);
    q.lease("w", List.of("rag"), List.of(), 1);
    return q.complete(t.id(), "w", 1, body("1"), 200, 10);
  }

  @Test
  void aTaskNobodyTakesFailsAfterTheQueueTimeout() {
    TaskQueue q = queue(10, 3);
    Task t = submit(q, "rag", "m");
    clock.advance(Duration.ofMinutes(5));
    Task failed = q.sweep(w -> false).changed().get(0);
    assertThat(failed.id()).isEqualTo(t.id());
    assertThat(failed.failure()).isEqualTo(Failure.NOT_PICKED_UP);
    assertThat(failed.error()).contains("no pull worker of service rag serving model m");
    assertThat(q.queued("rag")).isZero();
  }

  @Test
  void restoredTasksKeepTheirStateAndOrder() {
    TaskQueue q = queue(10, 3);
    Task a = submit(q, "rag", null);
    Task b = submit(q, "rag", null);
    Task c = submit(q, "rag", null);
    Task leased = q.lease("w1", List.of("rag"), List.of(), 1).get(0);
    assertThat(leased.id()).isEqualTo(a.id());

    TaskQueue again = queue(10, 3);
    again.restore(List.of(c, leased, b), null);
    assertThat(again.leaseHolders()).containsExactly("w1");
    assertThat(again.lease("w2", List.of("rag"), List.of(), 5))
        .extracting(Task::id)
        .containsExactly(b.id(), c.id());
    Task d = submit(again, "rag", null);
    assertThat(d.seq()).isGreaterThan(c.seq());
    assertThat(again.complete(a.id(), "w1", 1, body("1"), 200, 10).state())
        .isEqualTo(TaskState.COMPLETED);
  }

  @Test
  void memoryForRequestsIsBoundedAndFinishedResultsGiveWayToNewWork() {
    JsonNode request = body("{\"q\": 1}");
    Task probe = queue(100, 3).submit("rag", "/query", null, request, null, null, 40).task();
    // Two such tasks and a bit fit; a third does not.
    TaskQueue q = queue(100, 3, 3 * probe.footprint() - 1);
    Task a = q.submit("rag", "/query", null, request, null, null, 40).task();
    q.submit("rag", "/query", null, request, null, null, 40);
    assertThatThrownBy(() -> q.submit("rag", "/query", null, request, null, null, 40))
        .isInstanceOfSatisfying(
            TaskRejection.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.QUEUE_FULL);
              assertThat(e.getMessage()).contains("KiB");
            });
    q.lease("w", List.of("rag"), List.of(), 1);
    Task done = q.complete(a.id(), "w", 1, body("1"), 200, 30);
    assertThat(q.heldBytes()).isEqualTo(done.footprint() + probe.footprint());
    // Not room enough with the finished result held: it is forgotten to make room.
    Task c = q.submit("rag", "/query", null, request, null, null, 40).task();
    assertThat(q.drainForgotten()).containsExactly(a.id());
    assertThat(q.get(a.id())).isEmpty();
    assertThat(q.heldBytes()).isEqualTo(2 * c.footprint());
  }

  @Test
  void aTasksFootprintCountsItsBookkeepingStringsAndJson() {
    TaskQueue q = queue(10, 3);
    Task small = q.submit("rag", "/query", null, body("1"), null, null, 1).task();
    Task big = q.submit("rag", "/query", null, body("1"), "key", "digest", 4000).task();
    assertThat(small.footprint()).isBetween(600L, 900L);
    assertThat(big.footprint() - small.footprint())
        .isEqualTo(
            (4000 + 4000 / 4) - (1 + 1 / 4) + (40 + "key".length()) + (40 + "digest".length()));
  }
}
