package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.pool.StandaloneWorkerStore;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.runtime.Server;
import io.rma.coordinator.security.EndpointPolicy;
import io.rma.coordinator.testing.MutableClock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The SSRF guard where it matters: when the coordinator is about to call a worker. A listener on
 * the forbidden target counts every connection; it must see only the test's own sentinel.
 */
class SsrfAtCallTimeTest {
  private final MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private Listener target;

  /** Counts the connections made to it. */
  private static final class Listener implements AutoCloseable {
    final ServerSocket socket;
    final AtomicInteger accepted = new AtomicInteger();

    Listener() throws IOException {
      socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread.ofVirtual()
          .start(
              () -> {
                while (!socket.isClosed()) {
                  try (Socket s = socket.accept()) {
                    accepted.incrementAndGet();
                  } catch (IOException e) {
                    return;
                  }
                }
              });
    }

    int port() {
      return socket.getLocalPort();
    }

    /** Connections before ours, once ours (queued after them) has been accepted. */
    int callsBeforeSentinel() throws IOException {
      int before = accepted.get();
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port())) {
        await().until(() -> accepted.get() > before);
      }
      return accepted.get() - 1;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @BeforeEach
  void listen() throws IOException {
    target = new Listener();
    closing.add(target);
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
  }

  private String start(Map<String, String> settings, EndpointPolicy.Resolver dns) {
    Map<String, String> env =
        new HashMap<>(Map.of("RMA_WORKER_AUTH", "none", "RMA_REGISTRATIONS_PER_MINUTE", "0"));
    env.putAll(settings);
    CoordinatorConfig config = ConfigLoader.load(env);
    Coordinator coordinator =
        new Coordinator(
            config,
            new StandaloneWorkerStore(null, "default", clock),
            null,
            clock,
            "standalone",
            () -> true,
            dns);
    Server server = coordinator.startServer(0);
    closing.add(coordinator);
    closing.add(server::stop);
    return "http://localhost:" + server.port();
  }

  private HttpResponse<String> post(String url, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(20))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aWorkerWhoseNameNowResolvesToADeniedAddressIsNeverCalled() throws Exception {
    AtomicInteger lookups = new AtomicInteger();
    // Public at registration, loopback afterwards: DNS rebinding.
    EndpointPolicy.Resolver dns =
        host -> {
          if (!host.equals("rebind.example.test")) {
            return EndpointPolicy.Resolver.SYSTEM.resolve(host);
          }
          return List.of(
              lookups.getAndIncrement() == 0
                  ? InetAddress.getByName("203.0.113.9")
                  : InetAddress.getLoopbackAddress());
        };
    String base = start(Map.of("RMA_ALLOW_LOOPBACK_WORKERS", "false"), dns);
    HttpResponse<String> reg =
        post(
            base + "/api/worker/register",
            "{\"capabilities\": {\"cpu_cores\": 4, \"ram\": \"16GB\"}, \"services\": [\"rag\"],"
                + " \"tunnel_url\": \"http://rebind.example.test:"
                + target.port()
                + "\"}");
    assertThat(reg.statusCode()).as(reg.body()).isEqualTo(200);

    HttpResponse<String> answer = post(base + "/api/inference/rag/query?query=secrets", "");
    assertThat(answer.statusCode()).as(answer.body()).isIn(502, 503);
    assertThat(answer.body()).contains("endpoint guard").contains("loopback");
    assertThat(target.callsBeforeSentinel()).isZero();
  }

  @Test
  void deniedEndpointsAreRefusedAtRegistrationAndNeverCalled() throws Exception {
    String base =
        start(Map.of("RMA_ALLOW_LOOPBACK_WORKERS", "false"), EndpointPolicy.Resolver.SYSTEM);
    for (String endpoint :
        List.of(
            "\"tunnel_url\": \"http://0.0.0.0:" + target.port() + "\"",
            "\"tunnel_url\": \"http://localhost:" + target.port() + "\"",
            "\"tunnel_url\": \"gopher://127.0.0.1:" + target.port() + "\"",
            "\"tunnel_url\": \"file:///etc/passwd\"",
            "\"tunnel_url\": \"http://169.254.169.254/latest/meta-data/\"",
            "\"ip_address\": \"127.0.0.1\", \"port\": " + target.port())) {
      HttpResponse<String> reg =
          post(
              base + "/api/worker/register",
              "{\"capabilities\": {\"cpu_cores\": 4, \"ram\": \"16GB\"}, \"services\": [\"rag\"], "
                  + endpoint
                  + "}");
      assertThat(reg.statusCode()).as(endpoint + " " + reg.body()).isEqualTo(422);
    }
    HttpResponse<String> answer = post(base + "/api/inference/rag/query?query=x", "");
    assertThat(answer.statusCode()).isEqualTo(503);
    assertThat(target.callsBeforeSentinel()).isZero();
  }

  @Test
  void redirectsFromWorkersAreNotFollowed() throws Exception {
    HttpServer worker =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    worker.createContext(
        "/query",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          exchange
              .getResponseHeaders()
              .add("Location", "http://127.0.0.1:" + target.port() + "/admin");
          exchange.sendResponseHeaders(302, -1);
          exchange.close();
        });
    worker.start();
    closing.add(() -> worker.stop(0));
    String base = start(Map.of(), EndpointPolicy.Resolver.SYSTEM);
    HttpResponse<String> reg =
        post(
            base + "/api/worker/register",
            "{\"capabilities\": {\"cpu_cores\": 4, \"ram\": \"16GB\"}, \"services\": [\"rag\"],"
                + " \"ip_address\": \"127.0.0.1\", \"port\": "
                + worker.getAddress().getPort()
                + "}");
    assertThat(reg.statusCode()).as(reg.body()).isEqualTo(200);

    HttpResponse<String> answer = post(base + "/api/inference/rag/query?query=x", "");
    // The worker's answer comes back as it is; the coordinator does not go where it points.
    assertThat(answer.statusCode()).isEqualTo(302);
    assertThat(target.callsBeforeSentinel()).isZero();
  }
}
