package io.rma.coordinator.http;

import static io.rma.coordinator.http.RawHttp.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rma.coordinator.http.RawHttp.Answer;
import io.rma.coordinator.http.RawHttp.Raw;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Request bodies held at once are bounded across requests ({@code RMA_INFLIGHT_BODY_BYTES}): a body
 * that does not fit is refused with 503 and Retry-After, its connection stays usable, and the bytes
 * come back once the holding request is answered. Here the cap on one body is 256 KiB and the limit
 * 384 KiB.
 */
class BodyBudgetTest extends RoutingTestBase {
  private static final int KIB = 1024;

  private RoutingHarness c;
  private BodyBudget budget;

  @BeforeEach
  void start() throws Exception {
    c =
        closeLater(
            harness(
                Map.of(
                    "RMA_MAX_INFERENCE_BODY_BYTES", String.valueOf(256 * KIB),
                    "RMA_INFLIGHT_BODY_BYTES", String.valueOf(384 * KIB))));
    StubWorker worker = closeLater(new StubWorker("w1"));
    c.register(worker, "vllm", List.of());
    budget = c.coordinator.inference().budget();
  }

  @Test
  void aBodyThatDoesNotFitIsRefusedUntilTheHeldOneIsAnswered() throws Exception {
    String slow = completion(250 * KIB);
    byte[] slowBytes = post("/v1/completions", slow, "").getBytes(StandardCharsets.UTF_8);
    int sentFirst = slowBytes.length - 50 * KIB;
    try (Raw holding = new Raw(c);
        Raw other = new Raw(c)) {
      // 200 KiB of a 250 KiB body sent: the server holds them while it waits for the rest.
      holding.socket.getOutputStream().write(slowBytes, 0, sentFirst);
      holding.socket.getOutputStream().flush();
      await().atMost(Duration.ofSeconds(10)).until(() -> budget.held() >= 195 * KIB);

      Answer refused = other.exchange(post("/v1/completions", completion(200 * KIB), ""));
      assertThat(refused.status()).as(refused.body()).isEqualTo(503);
      assertThat(refused.headers()).containsEntry("retry-after", "1");
      assertThat(refused.json().path("detail").asText()).contains("request bodies");
      assertThat(refused.json().path("error").path("code").asText()).isEqualTo("overloaded");
      assertThat(budget.rejected()).isEqualTo(1);

      // The refused body was not read: its connection ends after the answer, and another takes a
      // small request at once.
      assertThat(refused.headers()).containsEntry("connection", "close");
      try (Raw next = new Raw(c)) {
        Answer small = next.exchange(post("/v1/completions", completion(KIB), ""));
        assertThat(small.status()).as(small.body()).isEqualTo(200);
      }

      holding.socket.getOutputStream().write(slowBytes, sentFirst, slowBytes.length - sentFirst);
      holding.socket.getOutputStream().flush();
      Answer answered = holding.read();
      assertThat(answered.status()).as(answered.body()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> budget.held() == 0);

      try (Raw next = new Raw(c)) {
        Answer later = next.exchange(post("/v1/completions", completion(200 * KIB), ""));
        assertThat(later.status()).as(later.body()).isEqualTo(200);
      }
    }
    // Given back once the answer is written, which the client may see first: wait for it.
    await().atMost(Duration.ofSeconds(10)).until(() -> budget.held() == 0);
    assertThat(c.get("/observe/metrics").body()).contains("rma_body_budget_rejections_total");
  }

  @Test
  void answeredAndFailedRequestsGiveTheirBytesBack() throws Exception {
    try (Raw raw = new Raw(c)) {
      for (int i = 0; i < 5; i++) {
        assertThat(raw.exchange(post("/v1/completions", completion(200 * KIB), "")).status())
            .isEqualTo(200);
        // Refused by the handler (no prompt): 422, and nothing stays held.
        assertThat(raw.exchange(post("/api/inference/llm", "{\"model\":\"m\"}", "")).status())
            .isEqualTo(422);
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> budget.held() == 0);
    assertThat(budget.rejected()).isZero();
  }

  @Test
  void aClientThatGoesAwayMidBodyGivesItsBytesBack() throws Exception {
    for (boolean reset : new boolean[] {false, true}) {
      byte[] request =
          post("/v1/completions", completion(200 * KIB), "").getBytes(StandardCharsets.UTF_8);
      Raw raw = new Raw(c);
      raw.socket.getOutputStream().write(request, 0, request.length / 2);
      raw.socket.getOutputStream().flush();
      await().atMost(Duration.ofSeconds(10)).until(() -> budget.held() > 0);
      if (reset) {
        raw.socket.setSoLinger(true, 0); // close with a reset, not an end of stream
      }
      raw.close();
      await()
          .alias(reset ? "after a reset" : "after an end of stream")
          .atMost(Duration.ofSeconds(10))
          .until(() -> budget.held() == 0);
    }
  }

  @Test
  void aClientStuckPartWayThroughItsBodyIsClosedAndItsBytesGivenBack() throws Exception {
    RoutingHarness quick =
        closeLater(
            harness(
                Map.of(
                    "RMA_MAX_INFERENCE_BODY_BYTES", String.valueOf(256 * KIB),
                    "RMA_INFLIGHT_BODY_BYTES", String.valueOf(384 * KIB),
                    "RMA_BODY_TIMEOUT", "1s")));
    BodyBudget quickBudget = quick.coordinator.inference().budget();
    byte[] request =
        post("/v1/completions", completion(200 * KIB), "").getBytes(StandardCharsets.UTF_8);
    try (Raw stuck = new Raw(quick)) {
      stuck.socket.getOutputStream().write(request, 0, request.length / 2);
      stuck.socket.getOutputStream().flush();
      await().atMost(Duration.ofSeconds(10)).until(() -> quickBudget.held() > 0);
      // Nothing more comes: after the body timeout the connection is closed and the bytes given
      // back, on either server path.
      await().atMost(Duration.ofSeconds(10)).until(() -> quickBudget.held() == 0);
      int next;
      try {
        next = stuck.in.read();
      } catch (IOException reset) {
        next = -1;
      }
      assertThat(next).as("the connection was closed").isEqualTo(-1);
    }
  }

  /** A completion request of about {@code bytes} bytes. */
  private static String completion(int bytes) {
    return "{\"model\":\"m\",\"prompt\":\"" + "x".repeat(Math.max(1, bytes - 30)) + "\"}";
  }
}
