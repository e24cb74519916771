package io.rma.coordinator.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Optional;

/** Reading {@code Authorization: Bearer ...} and comparing secrets in constant time. */
public final class BearerTokens {
  private BearerTokens() {}

  public static Optional<String> bearer(ServerRequest req) {
    return req.headers()
        .first(HeaderNames.AUTHORIZATION)
        .filter(v -> v.length() > 7 && v.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer "))
        .map(v -> v.substring(7).trim())
        .filter(v -> !v.isEmpty());
  }

  public static boolean same(String given, String expected) {
    return given != null
        && expected != null
        && MessageDigest.isEqual(
            given.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
  }
}
