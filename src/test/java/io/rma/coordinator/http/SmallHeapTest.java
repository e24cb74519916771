package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rma.coordinator.testing.CoordinatorProcess;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Large bodies at once cannot exhaust a small heap (128 MiB, a free-tier container, which ends
 * itself on an OutOfMemoryError as the image does), on both server paths:
 *
 * <ul>
 *   <li>24 clients send 15 MiB each while the worker takes its time: with the default in-flight
 *       budget (a quarter of the heap) the bodies that fit are answered, the others get 503 with
 *       Retry-After (with the budget off, the coordinator dies);
 *   <li>24 clients get a 15 MiB answer each at the same moment, with a Content-Length or chunked:
 *       answers that large are passed on as they arrive, not held whole (held whole, the
 *       coordinator dies).
 * </ul>
 */
class SmallHeapTest {
  private static final int CLIENTS = 24;
  private static final int BODY = 15 * 1024 * 1024;

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @Test
  void manyLargeBodiesAtOnceGet503sNotAnOutOfMemoryError() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (StubWorker worker = new StubWorker("slow");
        CoordinatorProcess coordinator = start(worker)) {
      // The worker holds each request until every client has had its answer or its refusal.
      worker.on(
          "/v1/completions",
          (ex, body) -> {
            release.await(30, TimeUnit.SECONDS);
            StubWorker.json(ex, 200, Map.of("worker", "slow"));
          });
      String base = "http://127.0.0.1:" + coordinator.port();
      byte[] body = new byte[BODY];
      byte[] head = "{\"model\":\"m\",\"prompt\":\"".getBytes();
      java.util.Arrays.fill(body, (byte) 'x');
      System.arraycopy(head, 0, body, 0, head.length);
      body[BODY - 2] = '"';
      body[BODY - 1] = '}';
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        answers.add(http.sendAsync(completion(base, body), HttpResponse.BodyHandlers.ofString()));
      }
      // Every request is refused or held by the worker before the worker lets any go.
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  answers.stream().filter(CompletableFuture::isDone).count() + worker.hits.get()
                      == CLIENTS);
      int held = worker.hits.get();
      release.countDown();
      int served = 0;
      int refused = 0;
      for (CompletableFuture<HttpResponse<String>> answer : answers) {
        HttpResponse<String> r = answer.get(30, TimeUnit.SECONDS);
        if (r.statusCode() == 200) {
          served++;
        } else {
          assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
          assertThat(r.body()).contains("request bodies");
          assertThat(r.headers().firstValue("Retry-After")).contains("1");
          refused++;
        }
      }
      assertThat(served).as("bodies that fit the budget were served").isEqualTo(held).isPositive();
      assertThat(refused).isGreaterThan(CLIENTS / 2);
      assertLive(base);
    }
  }

  @ParameterizedTest(name = "answers with a Content-Length: {0}")
  @ValueSource(booleans = {true, false})
  void manyLargeAnswersAtOnceArePassedOnNotHeld(boolean sized) throws Exception {
    byte[] answer = new byte[BODY];
    Arrays.fill(answer, (byte) ' ');
    answer[0] = '{';
    answer[BODY - 1] = '}';
    CountDownLatch everyoneAsked = new CountDownLatch(CLIENTS);
    try (StubWorker worker = new StubWorker("big");
        CoordinatorProcess coordinator = start(worker)) {
      // Every request waits until all have reached the worker: the answers come at one moment.
      worker.on(
          "/v1/completions",
          (ex, body) -> {
            everyoneAsked.countDown();
            everyoneAsked.await(30, TimeUnit.SECONDS);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, sized ? answer.length : 0); // 0: chunked
            try (OutputStream out = ex.getResponseBody()) {
              out.write(answer);
            }
          });
      String base = "http://127.0.0.1:" + coordinator.port();
      List<CompletableFuture<HttpResponse<Void>>> answers = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        answers.add(
            http.sendAsync(
                completion(base, "{\"model\":\"m\",\"prompt\":\"hi\"}".getBytes()),
                HttpResponse.BodyHandlers.discarding()));
      }
      for (CompletableFuture<HttpResponse<Void>> a : answers) {
        HttpResponse<Void> r = a.get(60, TimeUnit.SECONDS); // all of it, or an exception
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Length"))
            .isEqualTo(sized ? Optional.of(String.valueOf(BODY)) : Optional.empty());
      }
      assertLive(base);
    }
  }

  /** A child coordinator with a 128 MiB heap and {@code worker} registered as its vllm worker. */
  private CoordinatorProcess start(StubWorker worker) throws Exception {
    CoordinatorProcess coordinator =
        CoordinatorProcess.start(
            dir,
            Map.of(
                "RMA_WORKER_AUTH", "none",
                // As in the container image: a heap exhausted ends the process (and the test).
                "JDK_JAVA_OPTIONS", "-XX:+ExitOnOutOfMemoryError"));
    HttpResponse<String> joined =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + coordinator.port() + "/api/worker/register"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"capabilities\":{\"cpu_cores\":8,\"ram\":\"32GB\"},"
                            + "\"ip_address\":\"127.0.0.1\",\"port\":"
                            + worker.port()
                            + ",\"services\":[\"vllm\"]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(joined.statusCode()).as(joined.body()).isEqualTo(200);
    return coordinator;
  }

  private static HttpRequest completion(String base, byte[] body) {
    return HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  private void assertLive(String base) throws Exception {
    HttpResponse<String> live =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/observe/health/live")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(live.statusCode()).isEqualTo(200);
  }
}
