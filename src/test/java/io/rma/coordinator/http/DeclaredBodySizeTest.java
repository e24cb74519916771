package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.testing.CoordinatorProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Declared body sizes are bounded by the in-flight budget: clients that declare large bodies
 * (within the cap) and send next to nothing cannot make a coordinator with a small heap (128 MiB,
 * as on a free-tier host) allocate the sum of what they declared, and small requests are still
 * answered.
 */
class DeclaredBodySizeTest {
  private static final int CLIENTS = 24;
  private static final long DECLARED = 15L * 1024 * 1024; // under the 16 MiB inference cap

  @TempDir Path dir;

  @Test
  void clientsDeclaringLargeBodiesDoNotExhaustTheHeap() throws Exception {
    try (CoordinatorProcess coordinator =
        CoordinatorProcess.start(dir, Map.of("RMA_WORKER_AUTH", "none"))) {
      List<Socket> stalled = new ArrayList<>();
      try {
        for (int i = 0; i < CLIENTS; i++) {
          Socket s = new Socket();
          s.connect(new InetSocketAddress("127.0.0.1", coordinator.port()), 5000);
          s.getOutputStream()
              .write(
                  ("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          + "Content-Length: "
                          + DECLARED
                          + "\r\n\r\n{\"prompt\":")
                      .getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().flush();
          stalled.add(s);
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        // Every stalled request has been read as far as it goes once these answer: the server
        // serves connections in parallel, and these are the same kind of request.
        for (int i = 0; i < 3; i++) {
          HttpResponse<String> r =
              http.send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + coordinator.port() + "/v1/completions"))
                      .timeout(Duration.ofSeconds(20))
                      .header("Content-Type", "application/json")
                      .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"hi\"}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(r.statusCode()).as(r.body()).isEqualTo(503); // no worker: but answered
          assertThat(r.body()).contains("no worker available");
        }
        HttpResponse<String> live =
            http.send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:" + coordinator.port() + "/observe/health/live"))
                    .timeout(Duration.ofSeconds(20))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(live.statusCode()).isEqualTo(200);
        // Each stalled request is either admitted (the budget holds its declared length and the
        // server waits for its body) or refused at once with a 503 that ends its connection.
        int waiting = 0;
        for (Socket s : stalled) {
          s.setSoTimeout(200);
          String answer = answerOrWaiting(s);
          if (answer == null) {
            waiting++;
          } else {
            assertThat(answer).startsWith("HTTP/1.1 503").contains("Retry-After");
          }
        }
        assertThat(waiting).as("admitted within the budget").isBetween(1, CLIENTS - 1);
      } finally {
        for (Socket s : stalled) {
          s.close();
        }
      }
    }
  }

  /** The server's answer, or null while it neither answered nor closed (a read times out). */
  private static String answerOrWaiting(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    try {
      byte[] head = new byte[256];
      int n = in.read(head);
      return n < 0 ? "" : new String(head, 0, n, StandardCharsets.ISO_8859_1);
    } catch (SocketTimeoutException e) {
      return null;
    }
  }
}
