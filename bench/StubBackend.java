import io.helidon.webserver.WebServer;
import java.nio.charset.StandardCharsets;

/**
 * Benchmark backend: a vLLM-shaped worker that answers POST /v1/completions at once with a fixed
 * OpenAI completion (about 300 bytes), so the benchmark measures the coordinator, not a model.
 * Run: java -cp "target/libs/*" bench/StubBackend.java PORT
 */
public final class StubBackend {
  private static final byte[] ANSWER =
      ("{\"id\":\"cmpl-bench\",\"object\":\"text_completion\",\"created\":0,\"model\":\"bench\","
              + "\"choices\":[{\"index\":0,\"text\":\"The quick brown fox jumps over the lazy dog.\","
              + "\"logprobs\":null,\"finish_reason\":\"stop\"}],"
              + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":10,\"total_tokens\":15}}")
          .getBytes(StandardCharsets.UTF_8);

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    WebServer.builder()
        .port(port)
        .routing(
            r ->
                r.post(
                    "/v1/completions",
                    (req, res) -> {
                      req.content().consume();
                      res.header("Content-Type", "application/json");
                      res.send(ANSWER);
                    }))
        .build()
        .start();
  }
}
