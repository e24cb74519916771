package io.rma.coordinator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.testing.MutableClock;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 workers on the SQLite file, then a burst of heartbeats over HTTP: the file sees no write,
 * counted by the repository itself. The rate printed is information, not a gate.
 */
class HeartbeatBurstTest {
  private static final System.Logger LOG = System.getLogger(HeartbeatBurstTest.class.getName());
  @TempDir Path dir;

  @Test
  void aBurstOfHeartbeatsFrom1000WorkersWritesNothingToTheStore() throws Exception {
    MutableClock clock = MutableClock.at("2026-01-01T00:00:00Z");
    CoordinatorConfig config =
        ConfigLoader.load(Map.of("RMA_WORKER_AUTH", "none", "RMA_REGISTRATIONS_PER_MINUTE", "0"));
    SqliteWorkerRepository file = new SqliteWorkerRepository(dir.resolve("rma.db"));
    Coordinator coordinator =
        new Coordinator(
            config, new StandaloneWorkerStore(file, "default", clock), clock, "standalone");
    var server = coordinator.startServer(0);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String base = "http://localhost:" + server.port();
    try {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        ids.add("w-" + i);
      }
      // Registrations are acknowledged writes; they go in concurrently like a fleet booting.
      send(
          http,
          base + "/api/worker/register",
          ids,
          id ->
              "{\"worker_id\": \""
                  + id
                  + "\", \"capabilities\": {\"cpu_cores\": 4, \"ram\": \"16GB\"}}");
      assertThat(coordinator.store().list()).hasSize(1000);
      coordinator.loop().runOnce();
      long before = file.writes();

      List<String> beats = new ArrayList<>();
      for (int round = 0; round < 5; round++) {
        beats.addAll(ids);
      }
      long t0 = System.nanoTime();
      send(
          http,
          base + "/api/worker/heartbeat",
          beats,
          id -> "{\"worker_id\": \"" + id + "\", \"status\": \"healthy\", \"current_load\": 0.3}");
      double seconds = (System.nanoTime() - t0) / 1e9;
      coordinator.loop().runOnce();

      long writes = file.writes() - before;
      LOG.log(
          Level.INFO,
          String.format(
              "%d heartbeats from 1000 workers in %.2f s (%.0f/s over HTTP, 32 in flight);"
                  + " store writes during the burst and the loop pass after it: %d",
              beats.size(), seconds, beats.size() / seconds, writes));
      assertThat(writes).isZero();
      assertThat(coordinator.pool().heartbeats().size()).isEqualTo(1000);
    } finally {
      server.stop();
      coordinator.close();
    }
  }

  private static void send(
      HttpClient http,
      String url,
      List<String> ids,
      java.util.function.Function<String, String> body)
      throws Exception {
    Semaphore inFlight = new Semaphore(32);
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (String id : ids) {
      inFlight.acquire();
      HttpRequest req =
          HttpRequest.newBuilder(URI.create(url))
              .timeout(Duration.ofSeconds(30))
              .POST(HttpRequest.BodyPublishers.ofString(body.apply(id)))
              .build();
      all.add(
          http.sendAsync(req, HttpResponse.BodyHandlers.ofString())
              .whenComplete((r, e) -> inFlight.release()));
    }
    for (CompletableFuture<HttpResponse<String>> f : all) {
      HttpResponse<String> r = f.get();
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
  }
}
