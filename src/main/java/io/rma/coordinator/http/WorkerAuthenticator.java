package io.rma.coordinator.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.helidon.webserver.http.ServerRequest;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.pool.StoreException;
import io.rma.coordinator.pool.WorkerStore;
import io.rma.coordinator.security.WorkerAuthMode;
import io.rma.coordinator.security.WorkerCredentials;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * Checks that a call about worker X carries X's credential ({@code Authorization: Bearer ...}), as
 * {@code RMA_WORKER_AUTH} says:
 *
 * <ul>
 *   <li>{@code token}: none is a 401, any other a 403;
 *   <li>{@code auto} (the default): the same for a worker whose credential is in use (it sent it
 *       once, or registered with the join token); a worker that never sent it (the original agents
 *       send no credentials) is accepted without one; a wrong one is always a 403;
 *   <li>{@code none}: every call passes.
 * </ul>
 *
 * <p>In {@code auto} mode the first call that carries the right credential records that it is in
 * use, in the worker's status ({@code credentialInUse}) and in memory, so a status write that loses
 * the flag to a concurrent one leaves the worker bound; the next such call writes it again.
 * Registrations hold this object's lock while they write, so the flag is never written over a newer
 * registration's status.
 */
public final class WorkerAuthenticator {
  private static final Logger LOG = System.getLogger(WorkerAuthenticator.class.getName());

  private final WorkerAuthMode mode;
  private final WorkerStore store;
  private final Cache<String, Boolean> inUse = Caffeine.newBuilder().maximumSize(100_000).build();

  public WorkerAuthenticator(WorkerAuthMode mode, WorkerStore store) {
    this.mode = mode;
    this.store = store;
  }

  public WorkerAuthMode mode() {
    return mode;
  }

  /** A call about {@code worker} made by the worker itself: heartbeat, tasks, unregister. */
  public void check(ServerRequest req, RMAWorker worker) {
    if (mode == WorkerAuthMode.none) {
      return;
    }
    Optional<String> token = BearerTokens.bearer(req);
    if (token.isEmpty()) {
      if (mode == WorkerAuthMode.token) {
        throw missing(worker, "");
      }
      if (inUse(worker)) {
        throw missing(worker, " (it has used it before, so it must send it from now on)");
      }
      return;
    }
    verify(token.get(), worker);
    recordUse(worker);
  }

  /**
   * Re-registering an existing id takes that worker over: its credential is needed in every mode
   * but {@code none}, whether or not it was in use. (The registration then stores the new
   * credential as in use itself.)
   */
  public void checkTakeover(ServerRequest req, RMAWorker worker) {
    if (mode == WorkerAuthMode.none) {
      return;
    }
    verify(BearerTokens.bearer(req).orElseThrow(() -> missing(worker, "")), worker);
  }

  private static void verify(String token, RMAWorker worker) {
    if (!WorkerCredentials.matches(token, hash(worker))) {
      throw new ApiException(
          403, "this credential is not worker " + worker.getMetadata().getName() + "'s");
    }
  }

  /** After a verified call: from now on this worker's calls must carry its credential. */
  private void recordUse(RMAWorker worker) {
    if (mode == WorkerAuthMode.auto
        && !Boolean.TRUE.equals(worker.getStatus().getCredentialInUse())) {
      inUse.put(hash(worker), Boolean.TRUE);
      recordInUse(worker.getMetadata().getName(), hash(worker));
    }
  }

  private boolean inUse(RMAWorker worker) {
    RMAWorkerStatus status = worker.getStatus();
    if (status == null) {
      return false;
    }
    String hash = status.getCredentialHash();
    return Boolean.TRUE.equals(status.getCredentialInUse())
        || (hash != null && inUse.getIfPresent(hash) != null);
  }

  /** Writes {@code credentialInUse} unless a newer registration replaced the credential. */
  private synchronized void recordInUse(String name, String hash) {
    try {
      store
          .get(name)
          .filter(w -> w.getStatus() != null && hash.equals(w.getStatus().getCredentialHash()))
          .filter(w -> !Boolean.TRUE.equals(w.getStatus().getCredentialInUse()))
          .ifPresent(
              w -> {
                RMAWorkerStatus next = w.getStatus().copy();
                next.setCredentialInUse(true);
                store.updateStatus(name, next);
                LOG.log(
                    Level.INFO,
                    "worker " + name + " uses its credential: its calls must carry it from now on");
              });
    } catch (StoreException e) {
      // Held in memory meanwhile; the worker's next authenticated call writes it again.
      LOG.log(Level.WARNING, "cannot record that worker " + name + " uses its credential: " + e);
    }
  }

  private static String hash(RMAWorker worker) {
    return worker.getStatus() == null ? null : worker.getStatus().getCredentialHash();
  }

  private static ApiException missing(RMAWorker worker, String why) {
    return new ApiException(
        401,
        "worker "
            + worker.getMetadata().getName()
            + " must send its worker_token as 'Authorization: Bearer <token>'"
            + why);
  }
}
