import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.runtime.Server;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Time of the dashboard's admin calls on a large pool (not a test: prints numbers).
 *
 * <p>One standalone coordinator in this JVM on a random port (the default server setup, event
 * loops in front of Helidon), N workers registered over HTTP with POST /api/worker/register (in
 * tiers 1-3) and each beating once with its own load, then each query asked R times in a row over
 * one kept-alive connection (after W warm-up calls): client-side time from request to the last
 * byte of the answer, on loopback.
 *
 * <p>Run with bench/admin-page.sh [--workers 10000] [--rounds 500] [--warmup 200].
 */
public final class AdminPageBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new java.util.HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    int workers = Integer.parseInt(opts.getOrDefault("workers", "10000"));
    int rounds = Integer.parseInt(opts.getOrDefault("rounds", "500"));
    int warmup = Integer.parseInt(opts.getOrDefault("warmup", "200"));
    Map<String, String> env =
        Map.of(
            "RMA_REGISTRATIONS_PER_MINUTE", "0",
            "RMA_MAX_WORKERS", String.valueOf(Math.max(workers, 10000)),
            "RMA_WORKER_AUTH", "none");
    Coordinator coordinator = Coordinator.standalone(ConfigLoader.load(env), Clock.systemUTC());
    Server server = coordinator.startServer(0);
    String base = "http://localhost:" + server.port();
    try {
      long t0 = System.nanoTime();
      List<String> ids = register(base, workers);
      long t1 = System.nanoTime();
      beat(base, ids);
      long t2 = System.nanoTime();
      System.out.printf(
          "pool: %d workers registered in %.1f s (%.2f ms each), one heartbeat each in %.1f s%n",
          ids.size(), (t1 - t0) / 1e9, (t1 - t0) / 1e6 / ids.size(), (t2 - t1) / 1e9);

      JsonNode first = JSON.readTree(get(base + "/api/admin/workers?limit=50").body());
      String cursor = URLEncoder.encode(first.get("next_cursor").asText(), StandardCharsets.UTF_8);
      String[] queries = {
        "/api/admin/workers?limit=50",
        "/api/admin/workers?limit=50&cursor=" + cursor,
        "/api/admin/workers?limit=50&sort=-load",
        "/api/admin/workers?limit=50&phase=Healthy&tier=2&sort=-last_heartbeat",
        "/api/admin/workers?limit=50&service=rag",
        "/api/admin/stats",
        "/api/admin/events?limit=50",
        "/api/admin/workers",
      };
      System.out.printf(
          "%-72s %9s %8s %8s %8s %8s %8s%n",
          "GET (" + rounds + " calls each)", "bytes", "mean ms", "p50", "p90", "p99", "max");
      for (String q : queries) {
        int n = q.equals("/api/admin/workers") ? Math.max(20, rounds / 10) : rounds;
        for (int i = 0; i < Math.min(warmup, n); i++) {
          get(base + q);
        }
        long[] nanos = new long[n];
        int bytes = 0;
        for (int i = 0; i < n; i++) {
          long s = System.nanoTime();
          HttpResponse<String> r = get(base + q);
          nanos[i] = System.nanoTime() - s;
          if (r.statusCode() != 200) {
            throw new IllegalStateException(q + " answered " + r.statusCode() + ": " + r.body());
          }
          bytes = r.body().length();
        }
        Arrays.sort(nanos);
        System.out.printf(
            "%-72s %9d %8.2f %8.2f %8.2f %8.2f %8.2f%n",
            q.length() > 72 ? q.substring(0, 69) + "..." : q,
            bytes,
            Arrays.stream(nanos).average().orElse(0) / 1e6,
            nanos[n / 2] / 1e6,
            nanos[(int) (n * 0.9)] / 1e6,
            nanos[Math.min(n - 1, (int) (n * 0.99))] / 1e6,
            nanos[n - 1] / 1e6);
      }
    } finally {
      server.stop();
      coordinator.close();
    }
  }

  private static List<String> register(String base, int n) throws Exception {
    String[] caps = {
      "\"cpu_cores\": 16, \"ram\": \"64GB\", \"gpu_type\": \"RTX 4090\", \"gpu_memory\": \"24GB\"",
      "\"cpu_cores\": 8, \"ram\": \"16GB\"",
      "\"cpu_cores\": 1, \"ram\": \"2GB\"",
    };
    // Registration is one at a time in the coordinator (gap filling); four clients keep it busy.
    try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
      List<Future<String>> ids = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String body =
            "{\"capabilities\": {"
                + caps[i % 10 < 2 ? 0 : i % 10 < 8 ? 1 : 2]
                + "}, \"ip_address\": \"10."
                + (i >> 16 & 255)
                + "."
                + (i >> 8 & 255)
                + "."
                + (i & 255)
                + "\", \"models\": [\"llama3\"]}";
        ids.add(pool.submit(() -> JSON.readTree(post(base + "/api/worker/register", body).body()).get("worker_id").asText()));
      }
      List<String> out = new ArrayList<>(n);
      for (Future<String> f : ids) {
        out.add(f.get());
      }
      return out;
    }
  }

  private static void beat(String base, List<String> ids) throws Exception {
    try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        String body =
            "{\"worker_id\": \""
                + ids.get(i)
                + "\", \"status\": \""
                + (i % 17 == 0 ? "degraded" : "healthy")
                + "\", \"current_load\": "
                + (i % 100) / 100.0
                + "}";
        done.add(pool.submit(() -> post(base + "/api/worker/heartbeat", body)));
      }
      for (Future<?> f : done) {
        f.get();
      }
    }
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String url, String body) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
    }
    return r;
  }
}
