package io.rma.coordinator.http;

import io.helidon.http.Header;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;
import java.util.Set;

/**
 * The first filter of every request: which requests a connection may carry after this one, and the
 * deadline for request bodies.
 *
 * <ul>
 *   <li>After a request that said {@code Connection: close}, or an answer that did (an error after
 *       which the bytes on the connection cannot be trusted), the connection ends: a request
 *       pipelined behind it is never served (RFC 9112 §9.6). Helidon 4.5 answers such requests with
 *       {@code Connection: close} but reads the next request anyway.
 *   <li>A request body the route did not read is skipped when small; a large or chunked one ends
 *       the connection instead of being read to its end (the connection's lingering close reads and
 *       drops what is still coming for a moment, so the client sees the answer).
 *   <li>A method the coordinator does not know ({@code FOO}) is a 400 that ends the connection (one
 *       not in upper case is refused before, by {@link RequestLines}).
 *   <li>Every request gets a {@link BodyBudget.Hold} whose body deadline {@link JsonBodies} reads
 *       under.
 * </ul>
 */
final class ConnectionRules {
  /**
   * An unread request body up to this size is read and dropped; a longer one ends the connection.
   */
  static final long SKIP_UNREAD_BODY_UP_TO = 64 * 1024;

  private static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT");

  private ConnectionRules() {}

  /**
   * Registers the filter; it must come first.
   *
   * @param bodies the body deadline of requests outside the inference routes' own budget
   */
  static void register(HttpRouting.Builder routing, BodyBudget bodies) {
    routing.addFilter(
        (chain, req, res) -> {
          String method = req.prologue().method().text();
          int head = headSize(req);
          if (head > ServerProtocol.MAX_HEAD) {
            ErrorMapping.send(
                new HelidonExchange(req, res),
                new ApiException(
                        431,
                        "request headers larger than " + ServerProtocol.MAX_HEAD + " bytes",
                        Map.of(),
                        "invalid_request")
                    .closingConnection());
          } else if (!METHODS.contains(method)) {
            ErrorMapping.send(
                new HelidonExchange(req, res),
                new ApiException(
                        400,
                        "bad request: unknown method "
                            + ProtocolErrors.clean(method)
                            + " (GET, HEAD, POST, PUT, DELETE, OPTIONS and PATCH are served)",
                        Map.of(),
                        "invalid_request")
                    .closingConnection());
          } else {
            if (req.content().hasEntity()) {
              try (BodyBudget.Hold hold = bodies.hold()) {
                req.context().register(hold);
                chain.proceed();
              }
            } else {
              chain.proceed();
            }
          }
          if (mustClose(req, res)) {
            throw new CloseConnectionException("the connection ends after this answer");
          }
        });
  }

  /** The size of the request's headers as sent, near enough (names, values, separators). */
  private static int headSize(ServerRequest req) {
    int size = 0;
    for (Header h : req.headers()) {
      size += h.name().length() + h.values().length() + 4;
    }
    return size;
  }

  private static boolean mustClose(ServerRequest req, ServerResponse res) {
    return req.headers().containsToken(HeaderValues.CONNECTION_CLOSE)
        || res.headers().containsToken(HeaderValues.CONNECTION_CLOSE)
        || unreadBodyEndsConnection(req);
  }

  /**
   * Whether the request's body is unread and too long (or chunked) to be skipped: its connection
   * ends after the answer, which can say so ({@code Connection: close}) when it is an error.
   */
  static boolean unreadBodyEndsConnection(ServerRequest req) {
    if (!req.content().hasEntity() || req.content().consumed()) {
      return false;
    }
    var length = req.headers().contentLength();
    return length.isEmpty() || length.getAsLong() > SKIP_UNREAD_BODY_UP_TO;
  }
}
