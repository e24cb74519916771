package io.rma.coordinator.http;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.rma.coordinator.pool.Pool;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code GET /}, {@code GET /api} and {@code GET /health}: open, cheap, as in the original. */
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
              m.put("status", "running");
              m.put("mode", mode);
              m.put("docs", "/api");
              JsonBodies.ok(res, m);
            })
        .get(
            "/api",
            (req, res) -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("service", NAME);
              m.put("version", version);
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
                      "GET /api/admin/workers",
                      "GET /api/admin/stats",
                      "GET /api/admin/health",
                      "POST /api/admin/workers/{worker_id}/drain",
                      "POST /api/admin/workers/{worker_id}/undrain"));
              endpoints.put(
                  "probes",
                  List.of("GET /health", "GET /observe/health/live", "GET /observe/health/ready"));
              endpoints.put("metrics", List.of("GET /observe/metrics"));
              m.put("endpoints", endpoints);
              JsonBodies.ok(res, m);
            })
        .get(
            "/health",
            (req, res) -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("status", pool.store().ready() ? "healthy" : "unhealthy");
              m.put("timestamp", pool.clock().instant().toString());
              JsonBodies.send(res, pool.store().ready() ? 200 : 503, m);
            });
  }
}
