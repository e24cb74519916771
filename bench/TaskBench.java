import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.helidon.webclient.http1.Http1ClientResponse;
import io.rma.coordinator.runtime.Server;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.tasks.TaskRejection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Throughput and pickup latency of the pull-worker task queue (not a test: prints numbers).
 *
 * <p>One coordinator in this JVM on a random port, several pull workers as virtual threads that
 * long-poll GET /api/worker/tasks and answer each task with POST /api/worker/tasks/{id}/result over
 * real HTTP (Helidon's Http1Client, keep-alive connections; it shares the 2 cores with the server).
 * Tasks are queued through the router's seam (PullDispatcher.submit, "--enqueue seam") or through
 * POST /api/inference/tasks with Prefer: respond-async ("--enqueue http"). Each task carries its
 * enqueue time; pickup = when the worker has parsed the poll answer.
 *
 * <p>Run with bench/tasks.sh.
 */
public final class TaskBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, String> opts;
  private final int workers;
  private final int batch;
  private final int producers;
  private final boolean httpEnqueue;

  /** Tasks queued but not yet answered, at most: producers wait for room (closed-loop load). */
  private final java.util.concurrent.Semaphore inflight;

  private Coordinator coordinator;
  private Server server;
  private String base;
  private Http1Client http;
  private final List<String[]> credentials = new ArrayList<>();

  // Per run
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicLong answered = new AtomicLong();
  private long[] pickups = new long[0];
  private final AtomicInteger pickupCount = new AtomicInteger();

  TaskBench(Map<String, String> opts) {
    this.opts = opts;
    this.workers = Integer.parseInt(opts.getOrDefault("workers", "4"));
    this.batch = Integer.parseInt(opts.getOrDefault("batch", "16"));
    this.producers = Integer.parseInt(opts.getOrDefault("producers", "4"));
    this.httpEnqueue = opts.getOrDefault("enqueue", "seam").equals("http");
    this.inflight =
        new java.util.concurrent.Semaphore(Integer.parseInt(opts.getOrDefault("inflight", "256")));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    new TaskBench(opts).run();
    System.exit(0);
  }

  void run() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("RMA_TASK_QUEUE_CAPACITY", opts.getOrDefault("capacity", "10000"));
    env.put("RMA_TASK_MEMORY_MIB", opts.getOrDefault("memory-mib", "256"));
    if (opts.containsKey("db")) {
      env.put("DATABASE_PATH", opts.get("db"));
    }
    coordinator = Coordinator.standalone(ConfigLoader.load(env), Clock.systemUTC());
    server = coordinator.start(0);
    base = "http://localhost:" + server.port();
    http = Http1Client.builder().baseUri(base).readTimeout(Duration.ofSeconds(30)).build();
    for (int i = 0; i < workers; i++) {
      JsonNode reg =
          JSON.readTree(
              post(
                  "/api/worker/register",
                  "{\"capabilities\": {\"cpu_cores\": 4, \"ram\": \"16GB\"}, \"mode\": \"pull\","
                      + " \"services\": [\"rag\"]}",
                  null,
                  Map.of())[1]);
      credentials.add(
          new String[] {reg.get("worker_id").asText(), reg.get("worker_token").asText()});
    }
    int total = Integer.parseInt(opts.getOrDefault("tasks", "60000"));
    int paced = Integer.parseInt(opts.getOrDefault("paced", "3000"));
    System.out.printf(
        "pull-task benchmark: %d pull workers (poll max=%d, wait=5s), %d producers keeping at most"
            + " %d tasks in flight, enqueue via %s, store %s, %d cores%n",
        workers,
        batch,
        producers,
        inflight.availablePermits(),
        httpEnqueue ? "POST /api/inference/tasks (respond-async)" : "PullDispatcher.submit (seam)",
        opts.containsKey("db") ? "sqlite " + opts.get("db") : "memory",
        Runtime.getRuntime().availableProcessors());

    throughput("warm-up", Math.min(total, 20000), false);
    throughput("throughput", total, true);
    pacedLatency(paced);
    System.out.println("coordinator task stats: " + coordinator.tasks().stats());
    server.stop();
    coordinator.close();
  }

  /** Producers queue {@code n} tasks as fast as the queue takes them; workers drain them. */
  void throughput(String label, int n, boolean print) throws Exception {
    answered.set(0);
    pickups = new long[n];
    pickupCount.set(0);
    running.set(true);
    ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    List<Future<?>> ws = startWorkers(pool);
    long start = System.nanoTime();
    long cpuStart = cpuNanos();
    AtomicInteger next = new AtomicInteger();
    AtomicLong rejected = new AtomicLong();
    CountDownLatch produced = new CountDownLatch(producers);
    for (int p = 0; p < producers; p++) {
      pool.submit(
          () -> {
            try {
              while (next.getAndIncrement() < n) {
                inflight.acquire();
                while (!enqueue()) {
                  rejected.incrementAndGet();
                  Thread.sleep(1);
                }
              }
            } catch (Exception e) {
              e.printStackTrace();
            } finally {
              produced.countDown();
            }
            return null;
          });
    }
    produced.await();
    while (answered.get() < n) {
      Thread.sleep(1);
    }
    long elapsed = System.nanoTime() - start;
    long cpu = cpuNanos() - cpuStart;
    running.set(false);
    for (Future<?> f : ws) {
      f.get();
    }
    pool.shutdown();
    if (print) {
      System.out.printf(
          "%s: process CPU %.1f s over %.1f s wall (%.2f of %d cores), %.0f us CPU per task (server"
              + " and client together)%n",
          label,
          cpu / 1e9,
          elapsed / 1e9,
          (double) cpu / elapsed,
          Runtime.getRuntime().availableProcessors(),
          cpu / 1e3 / n);
      long[] sorted = Arrays.copyOf(pickups, pickupCount.get());
      Arrays.sort(sorted);
      System.out.printf(
          "%s: %d tasks enqueue->pull->result in %.2f s = %.0f tasks/s (queue-full retries: %d);"
              + " enqueue->pickup under this load p50 %.2f ms, p99 %.2f ms%n",
          label,
          n,
          elapsed / 1e9,
          n / (elapsed / 1e9),
          rejected.get(),
          pct(sorted, 50),
          pct(sorted, 99));
    }
  }

  /** Workers idle in long polls; tasks arrive one at a time, spaced out. */
  void pacedLatency(int n) throws Exception {
    answered.set(0);
    pickups = new long[n];
    pickupCount.set(0);
    running.set(true);
    ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    List<Future<?>> ws = startWorkers(pool);
    long gapNanos = Duration.ofMillis(Long.parseLong(opts.getOrDefault("gap-ms", "2"))).toNanos();
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      // Wait until every worker is parked in its long poll again, then queue one task.
      LockSupport.parkNanos(gapNanos);
      long giveUp = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (coordinator.tasks().waitingPolls() < workers && System.nanoTime() < giveUp) {
        LockSupport.parkNanos(50_000);
      }
      enqueue();
    }
    while (answered.get() < n) {
      Thread.sleep(1);
    }
    long elapsed = System.nanoTime() - start;
    running.set(false);
    for (Future<?> f : ws) {
      f.get();
    }
    pool.shutdown();
    long[] sorted = Arrays.copyOf(pickups, pickupCount.get());
    Arrays.sort(sorted);
    System.out.printf(
        "pickup under long polling: %d tasks queued one at a time to idle long-polling workers"
            + " (%.1f s): enqueue->pickup p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
        n,
        elapsed / 1e9,
        pct(sorted, 50),
        pct(sorted, 99),
        sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6);
  }

  private List<Future<?>> startWorkers(ExecutorService pool) {
    List<Future<?>> futures = new ArrayList<>();
    for (String[] w : credentials) {
      futures.add(pool.submit(() -> worker(w[0], w[1])));
    }
    return futures;
  }

  private Void worker(String id, String token) throws Exception {
    ExecutorService answers = Executors.newVirtualThreadPerTaskExecutor();
    while (running.get()) {
      String polled;
      try (Http1ClientResponse r =
          http.get("/api/worker/tasks")
              .queryParam("worker_id", id)
              .queryParam("max", String.valueOf(batch))
              .queryParam("wait", "5")
              .header(HeaderNames.AUTHORIZATION, "Bearer " + token)
              .request()) {
        polled = r.as(String.class);
      }
      JsonNode tasks = JSON.readTree(polled).get("tasks");
      long now = System.nanoTime();
      List<Future<?>> sent = new ArrayList<>();
      for (JsonNode t : tasks) {
        int slot = pickupCount.getAndIncrement();
        if (slot < pickups.length) {
          pickups[slot] = now - t.get("request").get("t0").asLong();
        }
        String taskId = t.get("task_id").asText();
        String body =
            "{\"worker_id\": \""
                + id
                + "\", \"attempt\": "
                + t.get("attempt").asInt()
                + ", \"result\": {\"text\": \"ok\"}}";
        sent.add(
            answers.submit(
                () -> {
                  String[] a =
                      post("/api/worker/tasks/" + taskId + "/result", body, token, Map.of());
                  if (!a[0].equals("200")) {
                    throw new IllegalStateException(a[0] + " " + a[1]);
                  }
                  answered.incrementAndGet();
                  inflight.release();
                  return null;
                }));
      }
      for (Future<?> f : sent) {
        f.get();
      }
    }
    answers.shutdown();
    return null;
  }

  /** Queues one task; false when the queue was full. */
  private boolean enqueue() throws Exception {
    long t0 = System.nanoTime();
    String request = "{\"query\": \"what is in the queue\", \"t0\": " + t0 + "}";
    if (!httpEnqueue) {
      try {
        coordinator.tasks().submit("rag", "/query", JSON.readTree(request), Optional.empty());
        return true;
      } catch (TaskRejection e) {
        return false;
      }
    }
    String[] r =
        post(
            "/api/inference/tasks",
            "{\"service\": \"rag\", \"request\": " + request + "}",
            null,
            Map.of("Prefer", "respond-async"));
    if (r[0].equals("429")) {
      return false;
    }
    if (!r[0].equals("202")) {
      throw new IllegalStateException(r[0] + " " + r[1]);
    }
    return true;
  }

  /** POSTs JSON; returns {status, body}. */
  private String[] post(String path, String body, String token, Map<String, String> headers) {
    Http1ClientRequest req = http.post(path).header(HeaderNames.CONTENT_TYPE, "application/json");
    if (token != null) {
      req.header(HeaderNames.AUTHORIZATION, "Bearer " + token);
    }
    headers.forEach((k, v) -> req.header(HeaderNames.create(k), v));
    try (Http1ClientResponse r = req.submit(body)) {
      return new String[] {String.valueOf(r.status().code()), r.as(String.class)};
    }
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static double pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }
}
