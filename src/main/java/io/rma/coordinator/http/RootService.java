package io.rma.coordinator.http;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.Pool;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /}, {@code GET /api} and {@code GET /health}: open, cheap, with every field of the
 * original's answers ({@code status}, {@code active_workers}, {@code docs}, {@code api}; {@code
 * workers}) beside ours. Active workers are those not Offline.
 */
public final class RootService implements HttpService {
  public static final String NAME = "RMA Coordinator";

  private final Pool pool;
  private final String version;
  private final String mode;

  public RootService(Pool pool, String version, String mode) {
    this.pool = pool;
    this.version = version;
    this.mode = mode;
  }

  @Override
  public void routing(HttpRules rules) {
    rules
        .get(
            "/",
            (req, res) -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("service", NAME);
              m.put("version", version);
              m.put("status", "healthy");
              m.put("mode", mode);
              m.put("active_workers", PoolCounts.of(pool.workers()).active());
              m.put("docs", "/docs");
              m.put("api", "/api");
              m.put("dashboard", DashboardService.PATH);
              JsonBodies.ok(res, m);
            })
        .get(
            "/api",
            (req, res) -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("service", NAME);
              m.put("version", version);
              m.put("status", "healthy");
              m.put("active_workers", PoolCounts.of(pool.workers()).active());
              Map<String, Object> endpoints = new LinkedHashMap<>();
              endpoints.put(
                  "worker",
                  List.of(
                      "POST /api/worker/register",
                      "POST /api/worker/heartbeat",
                      "DELETE /api/worker/unregister/{worker_id}",
                      "GET /api/worker/tasks?worker_id=...&max=N&wait=S",
                      "POST /api/worker/tasks/{task_id}/result",
                      "POST /api/worker/task-complete"));
              endpoints.put(
                  "inference",
                  List.of(
                      "POST /api/inference/llm",
                      "POST /api/inference/vision",
                      "POST /api/inference/rag/query",
                      "POST /api/inference/graph/extract",
                      "POST /api/inference/tasks",
                      "GET /api/inference/tasks/{task_id}",
                      "POST /v1/completions",
                      "POST /v1/chat/completions",
                      "GET /v1/models"));
              endpoints.put(
                  "admin",
                  List.of(
                      "GET /api/admin/workers?limit=&cursor=&phase=&tier=&service=&q=&sort=",
                      "GET /api/admin/stats",
                      "GET /api/admin/health",
                      "GET /api/admin/events?limit=&after=&type=&worker=",
                      "GET /api/admin/routes?window=",
                      "GET /api/admin/tasks",
                      "POST /api/admin/workers/{worker_id}/drain",
                      "POST /api/admin/workers/{worker_id}/undrain"));
              endpoints.put(
                  "probes",
                  List.of("GET /health", "GET /observe/health/live", "GET /observe/health/ready"));
              endpoints.put("metrics", List.of("GET /observe/metrics"));
              endpoints.put("dashboard", List.of("GET " + DashboardService.PATH));
              m.put("endpoints", endpoints);
              JsonBodies.ok(res, m);
            })
        .get(
            "/health",
            (req, res) -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("status", pool.store().ready() ? "healthy" : "unhealthy");
              m.put("timestamp", pool.clock().instant().toString());
              PoolCounts c = PoolCounts.of(pool.workers());
              Map<String, Object> workers = new LinkedHashMap<>();
              workers.put("total", pool.workers().size());
              workers.put("by_tier", c.byTier());
              workers.put("healthy", c.phase(WorkerPhase.Healthy));
              m.put("workers", workers);
              JsonBodies.send(res, pool.store().ready() ? 200 : 503, m);
            });
  }
}
