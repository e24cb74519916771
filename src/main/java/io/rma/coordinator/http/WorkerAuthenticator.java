package io.rma.coordinator.http;

import io.helidon.webserver.http.ServerRequest;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.security.WorkerCredentials;
import java.util.Optional;

/**
 * Checks that a call about worker X carries X's credential ({@code Authorization: Bearer ...}):
 * none is a 401, any other a 403. With {@code RMA_WORKER_AUTH=none} (the original agents, which
 * send no credentials) every call passes.
 */
public final class WorkerAuthenticator {
  private final boolean enforced;

  public WorkerAuthenticator(boolean enforced) {
    this.enforced = enforced;
  }

  public boolean enforced() {
    return enforced;
  }

  public void check(ServerRequest req, RMAWorker worker) {
    if (!enforced) {
      return;
    }
    String name = worker.getMetadata().getName();
    Optional<String> token = BearerTokens.bearer(req);
    if (token.isEmpty()) {
      throw new ApiException(
          401, "worker " + name + " must send its worker_token as 'Authorization: Bearer <token>'");
    }
    String expected = worker.getStatus() == null ? null : worker.getStatus().getCredentialHash();
    if (!WorkerCredentials.matches(token.get(), expected)) {
      throw new ApiException(403, "this credential is not worker " + name + "'s");
    }
  }
}
