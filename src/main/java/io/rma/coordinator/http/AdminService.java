package io.rma.coordinator.http;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.rma.coordinator.api.v1alpha1.Capabilities;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.WorkerView;
import io.rma.coordinator.tasks.PullDispatcher;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code GET /api/admin/workers|stats|health}, with the original service's field names, and {@code
 * POST /api/admin/workers/{id}/drain|undrain}. Guarded by {@link AdminAuth}.
 */
public final class AdminService implements HttpService {
  private static final Logger LOG = System.getLogger(AdminService.class.getName());

  private final Pool pool;
  private final String mode;
  private final AdminAuth auth;
  private final PullDispatcher tasks;

  public AdminService(Pool pool, String mode, AdminAuth auth) {
    this(pool, mode, auth, null);
  }

  /**
   * @param tasks the pull-worker task queue, whose journal's health {@code /health} reports (null:
   *     none)
   */
  public AdminService(Pool pool, String mode, AdminAuth auth, PullDispatcher tasks) {
    this.pool = pool;
    this.mode = mode;
    this.auth = auth;
    this.tasks = tasks;
  }

  @Override
  public void routing(HttpRules rules) {
    rules
        .any(auth)
        .post("/workers/{worker_id}/drain", (req, res) -> drain(req, res, true))
        .post("/workers/{worker_id}/undrain", (req, res) -> drain(req, res, false))
        .get("/workers", this::workers)
        .get("/stats", this::stats)
        .get("/health", this::health);
  }

  private void workers(ServerRequest req, ServerResponse res) {
    List<Map<String, Object>> workers =
        pool.workers().stream().map(AdminService::describe).toList();
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("total", workers.size());
    answer.put("workers", workers);
    JsonBodies.ok(res, answer);
  }

  /**
   * Sets {@code spec.drain}: a draining worker gets no new work. The same field can be set with
   * {@code kubectl patch} in Kubernetes mode.
   */
  private void drain(ServerRequest req, ServerResponse res, boolean drain) {
    String id = WorkerIds.require(req.path().pathParameters().get("worker_id"));
    RMAWorker worker =
        pool.store()
            .get(id)
            .orElseThrow(() -> ApiException.notFound("worker " + id + " is not registered"));
    RMAWorker changed = new RMAWorker(id, worker.getSpec());
    changed.getSpec().setDrain(drain ? Boolean.TRUE : null);
    changed.setStatus(worker.getStatus());
    pool.store().save(changed);
    LOG.log(Level.INFO, (drain ? "draining worker " : "stopped draining worker ") + id);
    JsonBodies.ok(res, Map.of("worker_id", id, "draining", drain));
  }

  private void stats(ServerRequest req, ServerResponse res) {
    List<WorkerView> all = pool.workers();
    Map<WorkerPhase, Integer> phases = new EnumMap<>(WorkerPhase.class);
    Map<String, Integer> services = new TreeMap<>();
    int[] tiers = new int[4];
    long tasks = 0;
    double load = 0;
    int loadCount = 0;
    for (WorkerView v : all) {
      phases.merge(v.phase(), 1, Integer::sum);
      RMAWorkerStatus s = v.worker().getStatus();
      if (s != null && s.getTier() != null && s.getTier() >= 1 && s.getTier() <= 3) {
        tiers[s.getTier()]++;
      }
      if (s != null && s.getTasksCompleted() != null) {
        tasks += s.getTasksCompleted();
      }
      if (v.phase() != WorkerPhase.Offline) {
        v.services().forEach(name -> services.merge(name, 1, Integer::sum));
        if (v.load() != null) {
          load += v.load();
          loadCount++;
        }
      }
    }
    Map<String, Object> byTier = new LinkedHashMap<>();
    byTier.put("gpu_workers", tiers[1]);
    byTier.put("cpu_workers", tiers[2]);
    byTier.put("storage_workers", tiers[3]);
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("total_workers", all.size());
    answer.put("healthy_workers", phases.getOrDefault(WorkerPhase.Healthy, 0));
    answer.put("degraded_workers", phases.getOrDefault(WorkerPhase.Degraded, 0));
    answer.put("offline_workers", phases.getOrDefault(WorkerPhase.Offline, 0));
    answer.put("draining_workers", phases.getOrDefault(WorkerPhase.Draining, 0));
    answer.put("workers_by_tier", byTier);
    answer.put("workers_by_service", services);
    answer.put("total_tasks_completed", tasks);
    answer.put("average_load", loadCount == 0 ? 0.0 : Math.round(load / loadCount * 1000) / 1000.0);
    answer.put("mode", mode);
    answer.put("uptime_seconds", uptime().toSeconds());
    JsonBodies.ok(res, answer);
  }

  private void health(ServerRequest req, ServerResponse res) {
    List<WorkerView> all = pool.workers();
    long healthy = all.stream().filter(v -> v.phase() == WorkerPhase.Healthy).count();
    boolean storeReady = pool.store().ready();
    Optional<String> storeProblem = pool.store().problem();
    Optional<String> taskProblem = tasks == null ? Optional.empty() : tasks.problem();
    boolean writes = storeReady && storeProblem.isEmpty() && taskProblem.isEmpty();
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("status", !writes ? "unhealthy" : healthy > 0 ? "healthy" : "degraded");
    answer.put("total_workers", all.size());
    answer.put("healthy_workers", healthy);
    answer.put("store", pool.store().kind());
    answer.put("store_ready", storeReady && storeProblem.isEmpty());
    storeProblem.ifPresent(p -> answer.put("store_error", p));
    if (tasks != null) {
      Map<String, Object> journal = new LinkedHashMap<>();
      journal.put("store", tasks.durable() ? "sqlite" : "memory");
      journal.put("ready", taskProblem.isEmpty());
      taskProblem.ifPresent(p -> journal.put("error", p));
      answer.put("task_journal", journal);
    }
    answer.put("mode", mode);
    answer.put("timestamp", pool.clock().instant().toString());
    JsonBodies.ok(res, answer);
  }

  private Duration uptime() {
    return Duration.between(pool.startedAt(), pool.clock().instant());
  }

  /** One worker as the admin API shows it; the original's names, plus the new status fields. */
  static Map<String, Object> describe(WorkerView v) {
    RMAWorkerSpec spec = v.worker().getSpec();
    RMAWorkerStatus s =
        v.worker().getStatus() == null ? new RMAWorkerStatus() : v.worker().getStatus();
    Capabilities c = spec.getCapabilities() == null ? new Capabilities() : spec.getCapabilities();
    Map<String, Object> caps = new LinkedHashMap<>();
    caps.put("cpu_cores", c.getCpuCores());
    caps.put("ram", c.getRam());
    caps.put("gpu_type", c.getGpuType());
    caps.put("gpu_memory", c.getGpuMemory());
    caps.put("storage", c.getStorage());
    caps.put("network_bandwidth", c.getNetworkBandwidth());
    Map<String, Object> w = new LinkedHashMap<>();
    w.put("worker_id", v.name());
    w.put("tier", s.getTier());
    w.put("status", v.phase().name().toLowerCase(Locale.ROOT));
    w.put("phase", v.phase().name());
    w.put("capabilities", caps);
    w.put("ip_address", spec.getIpAddress());
    w.put("tunnel_url", spec.getTunnelUrl());
    w.put("port", spec.getPort());
    w.put("mode", spec.getMode() == null ? "push" : spec.getMode().name());
    w.put("assigned_services", s.getAssignedServices());
    w.put("declared_services", spec.getServices());
    w.put("services", v.services());
    w.put("models", spec.getModels());
    w.put("current_load", v.load());
    w.put("available_memory", v.availableMemory());
    w.put("last_heartbeat", v.lastSeen().toString());
    w.put("registered_at", s.getRegisteredAt());
    w.put("tasks_completed", s.getTasksCompleted() == null ? 0 : s.getTasksCompleted());
    w.put("draining", spec.draining());
    return w;
  }
}
