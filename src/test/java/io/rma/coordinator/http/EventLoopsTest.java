package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What is particular to the event loops on the port ({@link LoopServer}); the routes, failures and
 * connection handling are covered by the suites that run on every server path.
 */
class EventLoopsTest {
  private RoutingHarness c;
  private StubWorker worker;

  @AfterEach
  void stop() {
    if (worker != null) {
      worker.close();
    }
    if (c != null) {
      c.close();
    }
  }

  /**
   * What the loops relay to Helidon carries the client's address (PROXY protocol): per-client
   * limits on Helidon's side see two clients, not the loops' one loopback connection.
   */
  @Test
  void relayedRequestsKeepTheClientsAddress() throws IOException {
    // Another loopback address is another client (all of 127/8 is loopback on Linux; not on every
    // system).
    try (Socket probe = new Socket()) {
      probe.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
    } catch (IOException e) {
      assumeTrue(false, "127.0.0.2 is not a local address here: " + e);
    }
    c = new RoutingHarness(Map.of("RMA_REGISTRATIONS_PER_MINUTE", "1"));
    String register =
        RawHttp.post(
            "/api/worker/register",
            "{\"capabilities\":{\"cpu_cores\":4,\"ram\":\"8GB\"},\"ip_address\":\"127.0.0.1\","
                + "\"port\":9,\"services\":[\"rag\"]}",
            "");
    try (RawHttp.Raw one = new RawHttp.Raw(c, "127.0.0.1");
        RawHttp.Raw two = new RawHttp.Raw(c, "127.0.0.2")) {
      assertThat(one.exchange(register).status()).isEqualTo(200);
      assertThat(one.exchange(register).status()).isEqualTo(429); // this client's one per minute
      assertThat(two.exchange(register).status()).isEqualTo(200); // another client
    }
  }

  /**
   * The loops connect only to workers whose address needs no name lookup (a lookup would block the
   * loop); the others are served through Helidon's path.
   */
  @Test
  void onlyAddressesWrittenOutAreCalledFromTheLoops() {
    assertThat(LoopServer.ipLiteral("127.0.0.1")).isTrue();
    assertThat(LoopServer.ipLiteral("10.20.30.255")).isTrue();
    assertThat(LoopServer.ipLiteral("::1")).isTrue();
    assertThat(LoopServer.ipLiteral("fd00::5")).isTrue();
    assertThat(LoopServer.ipLiteral("999.1.1.1")).isFalse();
    assertThat(LoopServer.ipLiteral("10.0.0")).isFalse();
    assertThat(LoopServer.ipLiteral("gpu-1.internal")).isFalse();
    assertThat(LoopServer.ipLiteral("localhost")).isFalse();
  }

  /** Stopping the server lets a request the loops are serving finish, then ends the connection. */
  @Test
  void stoppingTheServerLetsARequestInProgressFinish() throws Exception {
    c = new RoutingHarness(Map.of());
    worker = new StubWorker("slow");
    c.register(worker, "vllm", List.of());
    CountDownLatch reached = new CountDownLatch(1);
    worker.on(
        "/v1/completions",
        (ex, body) -> {
          reached.countDown();
          Thread.sleep(500);
          StubWorker.json(ex, 200, Map.of("text", "late but whole"));
        });
    try (RawHttp.Raw raw = new RawHttp.Raw(c)) {
      raw.write(RawHttp.post("/v1/completions", "{\"prompt\":\"hi\"}", ""));
      assertThat(reached.await(10, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Void> stopping = CompletableFuture.runAsync(c.server::stop);
      RawHttp.Answer a = raw.read();
      assertThat(a.status()).isEqualTo(200);
      assertThat(a.json().path("text").asText()).isEqualTo("late but whole");
      stopping.get(15, TimeUnit.SECONDS);
      assertThat(raw.in.read()).isEqualTo(-1); // and the connection is closed after it
    }
  }

  /**
   * A worker that closes a kept-alive connection while it is idle in the pool: the loop notices (it
   * closes its side too), so the next request gets a fresh connection instead of failing on the
   * dead one (which, for a service that is not idempotent, would be a 502).
   */
  @Test
  void aConnectionAWorkerClosedWhileIdleIsNotReused() throws Exception {
    c = new RoutingHarness(Map.of());
    try (ServerSocket raw = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        RawHttp.Raw client = new RawHttp.Raw(c)) {
      AtomicInteger connections = new AtomicInteger();
      LinkedBlockingQueue<Boolean> noticed = new LinkedBlockingQueue<>();
      Thread.ofVirtual()
          .start(
              () -> {
                while (!raw.isClosed()) {
                  try (Socket s = raw.accept()) {
                    connections.incrementAndGet();
                    answerOnceThenCloseWhenIdle(s);
                    noticed.add(s.getInputStream().read() == -1); // the coordinator closed too
                  } catch (IOException e) {
                    return;
                  }
                }
              });
      c.register(
          Map.of(
              "capabilities", Map.of("cpu_cores", 8, "ram", "32GB"),
              "ip_address", "127.0.0.1",
              "port", raw.getLocalPort(),
              "services", List.of("vllm")));
      String call = RawHttp.post("/v1/completions", "{\"prompt\":\"hi\"}", "");
      for (int i = 1; i <= 3; i++) {
        RawHttp.Answer a = client.exchange(call);
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        assertThat(noticed.poll(10, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(connections.get()).isEqualTo(3);
    }
  }

  /** Reads one request, answers it kept alive, then closes its sending side (as an idle close). */
  private static void answerOnceThenCloseWhenIdle(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed mid-request");
      }
      head.append((char) b);
    }
    Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
    in.readNBytes(m.find() ? Integer.parseInt(m.group(1)) : 0);
    byte[] body = "{\"text\":\"once\"}".getBytes(StandardCharsets.UTF_8);
    s.getOutputStream()
        .write(
            ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().write(body);
    s.getOutputStream().flush();
    s.shutdownOutput();
  }
}
