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
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToIntFunction;

/**
 * {@code GET /api/admin/workers|stats|health}, with every field of the original service's answers
 * (its dashboard reads them) and ours beside them, and {@code POST
 * /api/admin/workers/{id}/drain|undrain}. {@code /workers} pages, sorts and filters on the server
 * when asked ({@link WorkerQuery}). Guarded by {@link AdminAuth}.
 */
public final class AdminService implements HttpService {
  private static final Logger LOG = System.getLogger(AdminService.class.getName());

  private final Pool pool;
  private final String mode;
  private final AdminAuth auth;
  private final ToIntFunction<String> inFlight;
  private final PullDispatcher tasks;

  public AdminService(Pool pool, String mode, AdminAuth auth) {
    this(pool, mode, auth, null, null);
  }

  /**
   * @param tasks the pull-worker task queue, whose journal's health {@code /health} reports (null:
   *     none)
   * @param inFlight requests the coordinator has in flight to a worker, by name; null while routing
   *     does not tell (the answers then carry {@code "in_flight": null})
   */
  public AdminService(
      Pool pool,
      String mode,
      AdminAuth auth,
      PullDispatcher tasks,
      ToIntFunction<String> inFlight) {
    this.pool = pool;
    this.mode = mode;
    this.auth = auth;
    this.tasks = tasks;
    this.inFlight = inFlight;
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

  /**
   * Every worker (the original's answer), or with {@code limit}/{@code cursor} one page of the
   * matching workers: {@code total} is then how many match, {@code next_cursor} fetches the next.
   */
  private void workers(ServerRequest req, ServerResponse res) {
    WorkerQuery query = WorkerQuery.parse(req.query());
    List<WorkerView> all = pool.workers();
    WorkerQuery.Page page = query.select(all, inFlight);
    Instant now = pool.clock().instant();
    List<Map<String, Object>> workers = new ArrayList<>(page.workers().size());
    for (WorkerView v : page.workers()) {
      workers.add(describe(v, now, inFlight));
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("total", page.matched());
    answer.put("workers", workers);
    if (query.paged()) {
      answer.put("count", workers.size());
      answer.put("limit", query.limit());
      answer.put("sort", query.sortName());
      answer.put("next_cursor", page.nextCursor());
      answer.put("pool_total", all.size());
    }
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
    // A copy: the stored (or informer-cached) object must not change before the write is done.
    RMAWorker changed = new RMAWorker(id, worker.getSpec().copy());
    changed.getSpec().setDrain(drain ? Boolean.TRUE : null);
    changed.setStatus(worker.getStatus());
    pool.store().save(changed);
    pool.events().drained(id, drain);
    LOG.log(Level.INFO, (drain ? "draining worker " : "stopped draining worker ") + id);
    JsonBodies.ok(res, Map.of("worker_id", id, "draining", drain));
  }

  private void stats(ServerRequest req, ServerResponse res) {
    List<WorkerView> all = pool.workers();
    PoolCounts c = PoolCounts.of(all);
    Map<String, Object> byTier = new LinkedHashMap<>();
    byTier.put("gpu_workers", c.tier(1));
    byTier.put("cpu_workers", c.tier(2));
    byTier.put("storage_workers", c.tier(3));
    byTier.put("service_workers", c.tier(2)); // the original's names for tiers 2 and 3
    byTier.put("data_workers", c.tier(3));
    Map<String, Object> loadByTier = new LinkedHashMap<>();
    loadByTier.put("gpu_workers", c.averageLoad(1));
    loadByTier.put("service_workers", c.averageLoad(2));
    loadByTier.put("data_workers", c.averageLoad(3));
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("total_workers", all.size());
    answer.put("healthy_workers", c.phase(WorkerPhase.Healthy));
    answer.put("degraded_workers", c.phase(WorkerPhase.Degraded));
    answer.put("offline_workers", c.phase(WorkerPhase.Offline));
    answer.put("draining_workers", c.phase(WorkerPhase.Draining));
    answer.put("workers_by_tier", byTier);
    answer.put("average_load_by_tier", loadByTier);
    answer.put("workers_by_phase", c.byPhase());
    answer.put("workers_by_tier_and_phase", c.byTierAndPhase());
    answer.put("workers_by_service", c.byService());
    answer.put("total_tasks_completed", c.tasksCompleted());
    answer.put("average_load", c.averageLoad(0));
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
    answer.putAll(originalHealth(all));
    JsonBodies.ok(res, answer);
  }

  /**
   * The original's health fields: {@code overall_status} is degraded when no tier-1 or no tier-2
   * worker is registered, or more are offline than healthy.
   */
  static Map<String, Object> originalHealth(List<WorkerView> all) {
    PoolCounts c = PoolCounts.of(all);
    int healthy = c.phase(WorkerPhase.Healthy);
    int offline = c.phase(WorkerPhase.Offline);
    Map<String, Object> byStatus = new LinkedHashMap<>();
    byStatus.put("healthy", healthy);
    byStatus.put("degraded", c.phase(WorkerPhase.Degraded));
    byStatus.put("offline", offline);
    byStatus.put("draining", c.phase(WorkerPhase.Draining));
    Map<String, Object> minimum = new LinkedHashMap<>();
    minimum.put("gpu_workers", c.tier(1) > 0);
    minimum.put("service_workers", c.tier(2) > 0);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(
        "overall_status",
        c.tier(1) == 0 || c.tier(2) == 0 || offline > healthy ? "degraded" : "healthy");
    out.put("workers_by_status", byStatus);
    out.put("has_minimum_workers", minimum);
    return out;
  }

  private Duration uptime() {
    return Duration.between(pool.startedAt(), pool.clock().instant());
  }

  /** One worker as the admin API shows it; the original's names, plus the new status fields. */
  static Map<String, Object> describe(WorkerView v, Instant now, ToIntFunction<String> inFlight) {
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
    // The original's field is a list of container names (its dashboard maps over them); the
    // containers themselves come with the registration answer.
    w.put(
        "assigned_containers",
        s.getAssignedServices() == null ? List.of() : s.getAssignedServices());
    w.put("assigned_services", s.getAssignedServices());
    w.put("declared_services", spec.getServices());
    w.put("services", v.services());
    w.put("models", spec.getModels());
    w.put("current_load", v.load());
    w.put("available_memory", v.availableMemory());
    w.put("in_flight", inFlight == null ? null : inFlight.applyAsInt(v.name()));
    w.put("last_heartbeat", v.lastSeen().toString());
    w.put(
        "last_heartbeat_age_seconds", Math.max(0, Duration.between(v.lastSeen(), now).toSeconds()));
    w.put("registered_at", s.getRegisteredAt());
    w.put("tasks_completed", s.getTasksCompleted() == null ? 0 : s.getTasksCompleted());
    w.put("draining", spec.draining());
    return w;
  }
}
