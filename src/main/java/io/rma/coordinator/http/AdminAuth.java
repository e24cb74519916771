package io.rma.coordinator.http;

import io.helidon.http.Method;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Optional;

/**
 * Guards {@code /api/admin/*}: with {@code RMA_ADMIN_TOKEN} set, every call needs it as a bearer
 * token (401 otherwise); unset, reads stay open (a warning is logged at start) and anything that
 * changes state is refused (403).
 */
public final class AdminAuth implements Handler {
  private final Optional<String> adminToken;

  public AdminAuth(Optional<String> adminToken) {
    this.adminToken = adminToken;
  }

  @Override
  public void handle(ServerRequest req, ServerResponse res) {
    boolean reading =
        req.prologue().method() == Method.GET || req.prologue().method() == Method.HEAD;
    if (adminToken.isPresent()) {
      if (!BearerTokens.bearer(req)
          .map(t -> BearerTokens.same(t, adminToken.get()))
          .orElse(false)) {
        throw new ApiException(
            401, "the admin API needs 'Authorization: Bearer <RMA_ADMIN_TOKEN>'");
      }
    } else if (!reading) {
      throw new ApiException(
          403, "admin actions that change state are refused while RMA_ADMIN_TOKEN is unset");
    }
    res.next();
  }
}
