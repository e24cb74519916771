package io.rma.coordinator.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.Heartbeats;
import io.rma.coordinator.pool.PhasePolicy;
import io.rma.coordinator.pool.Pool;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code POST /api/worker/heartbeat}: validates, then records the beat in memory. It never writes
 * the store; the health loop writes the phase change a beat may cause.
 */
public final class HeartbeatService implements HttpService {
  private final Pool pool;
  private final PhasePolicy phases;
  private final WorkerAuthenticator auth;
  private final Duration heartbeatInterval;
  private final long maxBodyBytes;

  public HeartbeatService(
      Pool pool,
      PhasePolicy phases,
      WorkerAuthenticator auth,
      Duration heartbeatInterval,
      long maxBodyBytes) {
    this.pool = pool;
    this.phases = phases;
    this.auth = auth;
    this.heartbeatInterval = heartbeatInterval;
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void routing(HttpRules rules) {
    rules.post("/heartbeat", this::heartbeat);
  }

  private void heartbeat(ServerRequest req, ServerResponse res) {
    JsonNode body = JsonBodies.read(req, maxBodyBytes);
    if (!body.isObject()) {
      throw ApiException.unprocessable("the body must be a JSON object");
    }
    JsonNode idNode = body.get("worker_id");
    if (idNode == null || idNode.isNull()) {
      throw ApiException.unprocessable("worker_id is required");
    }
    if (!idNode.isTextual()) {
      throw ApiException.unprocessable("worker_id must be a string");
    }
    String id = WorkerIds.require(idNode.asText());
    boolean degraded = degraded(body.get("status"));
    Double load = load(body.get("current_load"));
    String memory = memory(body.get("available_memory"));

    RMAWorker worker =
        pool.store()
            .get(id)
            .orElseThrow(
                () ->
                    new ApiException(
                        404,
                        "worker "
                            + id
                            + " is not registered: register again with POST /api/worker/register",
                        Map.of("action", "register")));
    auth.check(req, worker);
    Instant now = pool.clock().instant();
    pool.heartbeats().record(id, new Heartbeats.Beat(now, degraded, load, memory));
    PoolMetrics.heartbeat(degraded);

    WorkerPhase phase = phases.phase(pool.member(worker), now, pool.startedAt());
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("status", "ok");
    answer.put("message", "heartbeat received");
    answer.put("worker_id", id);
    answer.put("phase", phase.name());
    answer.put("heartbeat_interval", heartbeatInterval.toSeconds());
    JsonBodies.ok(res, answer);
  }

  private static boolean degraded(JsonNode n) {
    if (n == null || n.isNull()) {
      return false;
    }
    if (n.isTextual()) {
      switch (n.asText().trim().toLowerCase(Locale.ROOT)) {
        case "healthy", "ok", "online" -> {
          return false;
        }
        case "degraded" -> {
          return true;
        }
        default -> {
          // fall through to the 422
        }
      }
    }
    throw ApiException.unprocessable("status must be \"healthy\" or \"degraded\"");
  }

  private static Double load(JsonNode n) {
    if (n == null || n.isNull()) {
      return 0.0;
    }
    if (!n.isNumber() || !Double.isFinite(n.asDouble()) || n.asDouble() < 0 || n.asDouble() > 1) {
      throw ApiException.unprocessable("current_load must be a number from 0.0 to 1.0");
    }
    return n.asDouble();
  }

  private static String memory(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    if ((n.isTextual() && n.asText().length() <= 64) || (n.isNumber() && n.asDouble() >= 0)) {
      return n.asText();
    }
    throw ApiException.unprocessable("available_memory must be a size such as \"12.5GB\"");
  }
}
