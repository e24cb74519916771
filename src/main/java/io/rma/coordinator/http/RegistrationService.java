package io.rma.coordinator.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.api.v1alpha1.WorkerMode;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.Heartbeats;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.ServiceCatalogue;
import io.rma.coordinator.pool.ServiceCatalogue.ServiceDefinition;
import io.rma.coordinator.pool.WorkerNames;
import io.rma.coordinator.pool.WorkerStatusPolicy;
import io.rma.coordinator.pool.WorkerStatusPolicy.CoverageEntry;
import io.rma.coordinator.security.WorkerAuthMode;
import io.rma.coordinator.security.WorkerCredentials;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /api/worker/register} and {@code DELETE /api/worker/unregister/{worker_id}}. A
 * registration is answered only after the store has it, with the tier, the containers to run and a
 * credential for the worker's own later calls.
 */
public final class RegistrationService implements HttpService {
  private static final Logger LOG = System.getLogger(RegistrationService.class.getName());

  private final Pool pool;
  private final WorkerStatusPolicy statuses;
  private final ServiceCatalogue catalogue;
  private final WorkerAuthenticator auth;
  private final RegistrationGate gate;
  private final ClientAddress clients;
  private final Duration heartbeatInterval;
  private final Optional<String> publicUrl;
  private final long maxBodyBytes;

  public RegistrationService(
      Pool pool,
      WorkerStatusPolicy statuses,
      ServiceCatalogue catalogue,
      WorkerAuthenticator auth,
      RegistrationGate gate,
      ClientAddress clients,
      Duration heartbeatInterval,
      Optional<String> publicUrl,
      long maxBodyBytes) {
    this.pool = pool;
    this.statuses = statuses;
    this.catalogue = catalogue;
    this.auth = auth;
    this.gate = gate;
    this.clients = clients;
    this.heartbeatInterval = heartbeatInterval;
    this.publicUrl = publicUrl;
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void routing(HttpRules rules) {
    rules.post("/register", this::register).delete("/unregister/{worker_id}", this::unregister);
  }

  private void register(ServerRequest req, ServerResponse res) {
    JsonNode body = JsonBodies.read(req, maxBodyBytes);
    RMAWorkerSpec spec = RegisterRequest.spec(body, catalogue);
    String requested = RegisterRequest.requestedId(body);
    InetAddress client = clients.of(req);
    // The original agents name no address: as the original service did, the worker is reached at
    // the address it registered from (behind the same SSRF guard). Pull workers are never called.
    boolean addressFromPeer =
        spec.getTunnelUrl() == null
            && spec.getIpAddress() == null
            && spec.getMode() != WorkerMode.pull;
    if (addressFromPeer) {
      spec.setIpAddress(client.getHostAddress());
    }
    Map<String, Object> answer;
    // Registration is rare; one at a time keeps gap filling from handing two workers one gap,
    // and holding the authenticator's lock keeps its credential-in-use writes from landing on a
    // status this registration replaces.
    synchronized (auth) {
      answer = register(req, client, requested, spec, addressFromPeer, coordinatorUrl(req));
    }
    JsonBodies.ok(res, answer);
  }

  private Map<String, Object> register(
      ServerRequest req,
      InetAddress client,
      String requested,
      RMAWorkerSpec spec,
      boolean addressFromPeer,
      String coordinatorUrl) {
    Instant now = pool.clock().instant();
    Optional<RMAWorker> existing =
        requested == null ? Optional.empty() : pool.store().get(requested);
    gate.admit(req, client, existing, spec, addressFromPeer, pool.store().list().size());
    String id = requested != null ? requested : WorkerNames.generate();
    String token = WorkerCredentials.newToken();

    List<CoverageEntry> coverage =
        pool.workers().stream()
            .map(v -> new CoverageEntry(v.name(), v.services(), v.phase() == WorkerPhase.Offline))
            .toList();
    RMAWorkerStatus previous = existing.map(RMAWorker::getStatus).orElse(null);
    // The generation the store will give the object: it moves only when the spec changes, as on
    // an API server; a re-registration with the same spec keeps its services.
    long generation =
        existing
            .map(
                w ->
                    w.getMetadata().getGeneration()
                        + (JsonBodies.WIRE
                                .valueToTree(w.getSpec())
                                .equals(JsonBodies.WIRE.valueToTree(spec))
                            ? 0
                            : 1))
            .orElse(1L);
    RMAWorkerStatus status =
        statuses.desired(
            generation,
            spec,
            previous,
            WorkerPhase.Healthy,
            new Heartbeats.Beat(now, false, 0.0, null),
            () -> WorkerStatusPolicy.coverage(coverage, id),
            now);
    status.setRegisteredAt(now.toString());
    status.setCredentialHash(WorkerCredentials.hash(token));
    // A worker that registered with a credential (the join token, or its own to re-register)
    // handles credentials: from now on it must send its worker_token (RMA_WORKER_AUTH=auto).
    status.setCredentialInUse(
        auth.mode() != WorkerAuthMode.none && (existing.isPresent() || gate.joinTokenRequired())
            ? Boolean.TRUE
            : null);

    RMAWorker worker = new RMAWorker(id, spec);
    worker.setStatus(status);
    RMAWorker saved = pool.store().save(worker);
    pool.heartbeats().record(id, new Heartbeats.Beat(now, false, 0.0, null));
    PoolMetrics.registration(existing.isPresent());
    pool.events()
        .registered(
            id,
            (existing.isPresent() ? "re-registered: tier " : "tier ")
                + status.getTier()
                + ", services "
                + String.join(", ", status.getAssignedServices()));
    LOG.log(
        Level.INFO,
        (existing.isPresent() ? "re-registered worker " : "registered worker ")
            + id
            + ": tier "
            + status.getTier()
            + ", services "
            + status.getAssignedServices()
            + ", mode "
            + spec.getMode()
            + (addressFromPeer
                ? ", reached at the address it came from, " + client.getHostAddress()
                : ""));

    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("status", "registered");
    answer.put("worker_id", id);
    answer.put("tier", saved.getStatus().getTier());
    answer.put(
        "assigned_containers",
        saved.getStatus().getAssignedServices().stream()
            .map(catalogue::find)
            .flatMap(Optional::stream)
            .map(RegistrationService::container)
            .toList());
    answer.put("assigned_services", saved.getStatus().getAssignedServices());
    answer.put("heartbeat_url", coordinatorUrl + "/api/worker/heartbeat");
    answer.put("heartbeat_interval", heartbeatInterval.toSeconds());
    answer.put("coordinator_url", coordinatorUrl);
    answer.put("tunnel_url", spec.getTunnelUrl());
    answer.put("endpoint", endpoint(spec, saved.getStatus()));
    answer.put("mode", spec.getMode().name());
    answer.put("worker_token", token);
    return answer;
  }

  private void unregister(ServerRequest req, ServerResponse res) {
    String id = WorkerIds.require(req.path().pathParameters().get("worker_id"));
    RMAWorker worker =
        pool.store()
            .get(id)
            .orElseThrow(() -> ApiException.notFound("worker " + id + " is not registered"));
    auth.check(req, worker);
    if (pool.store().delete(id)) {
      pool.heartbeats().forget(id);
      pool.events().unregistered(id);
      LOG.log(Level.INFO, "unregistered worker " + id);
    }
    JsonBodies.ok(res, Map.of("status", "unregistered", "worker_id", id));
  }

  private static Map<String, Object> container(ServiceDefinition s) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("name", s.name());
    c.put("image", s.image());
    c.put("port", s.port());
    c.put("env", s.env());
    return c;
  }

  /** Where the coordinator reaches the worker: its tunnel, else its address and port. */
  private String endpoint(RMAWorkerSpec spec, RMAWorkerStatus status) {
    if (spec.getTunnelUrl() != null) {
      return spec.getTunnelUrl();
    }
    if (spec.getIpAddress() == null) {
      return null;
    }
    Integer port = spec.getPort();
    if (port == null) {
      port =
          status.getAssignedServices().stream()
              .map(catalogue::find)
              .flatMap(Optional::stream)
              .map(ServiceDefinition::port)
              .findFirst()
              .orElse(null);
    }
    String host =
        spec.getIpAddress().contains(":") ? "[" + spec.getIpAddress() + "]" : spec.getIpAddress();
    return "http://" + host + (port == null ? "" : ":" + port);
  }

  private String coordinatorUrl(ServerRequest req) {
    return publicUrl.orElseGet(
        () ->
            req.headers()
                .first(HeaderNames.HOST)
                .filter(h -> h.matches("[A-Za-z0-9.\\-\\[\\]:]{1,255}"))
                .map(h -> (req.isSecure() ? "https://" : "http://") + h)
                .orElse("http://localhost"));
  }
}
