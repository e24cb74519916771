package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The error body each path gets, without a server. */
class ErrorMappingTest {

  @Test
  void theOpenAiErrorTypeFollowsTheStatus() {
    for (int status : List.of(400, 404, 405, 409, 413, 415, 422)) {
      assertThat(ErrorMapping.openAiType(status))
          .as("%d", status)
          .isEqualTo("invalid_request_error");
    }
    assertThat(ErrorMapping.openAiType(401)).isEqualTo("authentication_error");
    assertThat(ErrorMapping.openAiType(403)).isEqualTo("permission_error");
    assertThat(ErrorMapping.openAiType(429)).isEqualTo("rate_limit_error");
    for (int status : List.of(500, 502, 503, 504)) {
      assertThat(ErrorMapping.openAiType(status)).as("%d", status).isEqualTo("server_error");
    }
  }

  @Test
  void aV1PathGetsTheErrorObjectAfterTheKeysItAlreadyHad() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("detail", "slow down");
    body.put("retry_after", 3);

    Map<String, Object> answered = ErrorMapping.body("/v1/completions", 429, body, "rate_limited");

    assertThat(answered)
        .containsExactly(
            Map.entry("detail", "slow down"),
            Map.entry("retry_after", 3),
            Map.entry("error", openAi("slow down", "rate_limit_error", "rate_limited")));
    assertThat(body).doesNotContainKey("error");
  }

  @Test
  void otherPathsGetTheBodyAsItIs() {
    Map<String, Object> body = Map.of("detail", "no worker");

    assertThat(ErrorMapping.body("/api/inference/llm", 503, body, "no_worker_available"))
        .isSameAs(body);
    assertThat(ErrorMapping.body("/v1", 404, body, null)).isSameAs(body);
    assertThat(ErrorMapping.body("/v10/completions", 404, body, null)).isSameAs(body);
  }

  private static Map<String, Object> openAi(String message, String type, String code) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("message", message);
    error.put("type", type);
    error.put("param", null);
    error.put("code", code);
    return error;
  }
}
