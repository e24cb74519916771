package io.rma.coordinator.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.rma.coordinator.pool.StoreException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Maps errors to JSON {@code {"detail": ...}} once, at routing level; both server paths (Helidon's
 * routing and the inference fast path) answer their errors here.
 *
 * <p>On the OpenAI-compatible routes (paths under {@code /v1/}) the body also carries OpenAI's
 * {@code "error": {"message", "type", "param", "code"}}, because OpenAI SDKs show {@code
 * error.message} and nothing else. The {@code detail} and other keys stay, for the clients and
 * worker agents that read them; other paths get exactly the body they always had.
 */
public final class ErrorMapping {
  private static final Logger LOG = System.getLogger(ErrorMapping.class.getName());
  private static final String OPENAI_PREFIX = "/v1/";

  private ErrorMapping() {}

  /** Answers an {@link ApiException}: its status, {@code {"detail", ...extra}}, Retry-After. */
  public static void send(Exchange ex, ApiException e) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("detail", e.getMessage());
    body.putAll(e.extra());
    Map<String, String> headers = new LinkedHashMap<>();
    if (e.extra().get("retry_after") instanceof Number seconds) {
      headers.put("Retry-After", String.valueOf(seconds.longValue()));
    }
    if (e.closesConnection()) {
      headers.put("Connection", "close");
    }
    send(ex, e.status(), headers, body, e.code());
  }

  /**
   * Answers an error the coordinator made (not a worker's answer passed back).
   *
   * @param body {@code detail} and any further keys, as every client sees them
   * @param code OpenAI's {@code error.code} on {@code /v1/} paths, or null
   */
  public static void send(
      Exchange ex, int status, Map<String, String> headers, Map<String, Object> body, String code) {
    Map<String, String> all = headers;
    if (status == 503 && !headers.containsKey("Retry-After")) {
      // Every 503 of the coordinator's own says when to come back (OpenAI SDKs and most HTTP
      // clients honour it instead of retrying at once).
      all = new LinkedHashMap<>(headers);
      all.put("Retry-After", "1");
    }
    JsonBodies.send(ex, status, all, body(ex.path(), status, body, code));
  }

  /** The answer to a store failure: 503, the store is unavailable. */
  public static void storeFailure(Exchange ex, StoreException e) {
    send(
        ex,
        503,
        Map.of(),
        Map.of("detail", "the worker store is unavailable: " + e.getMessage()),
        "store_unavailable");
  }

  /**
   * The answer to a failure nobody expected: 500, with nothing of its cause, and the connection
   * closes after it (the request may have been left half-read).
   */
  public static void internalError(Exchange ex) {
    send(
        ex,
        500,
        Map.of("Connection", "close"),
        Map.of("detail", "internal error"),
        "internal_error");
  }

  /**
   * {@code body} as answered on {@code path}: unchanged, or on a {@code /v1/} path with an OpenAI
   * {@code error} object added whose message is the {@code detail}.
   */
  static Map<String, Object> body(String path, int status, Map<String, Object> body, String code) {
    if (!path.startsWith(OPENAI_PREFIX)) {
      return body;
    }
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("message", body.get("detail"));
    error.put("type", openAiType(status));
    error.put("param", null);
    error.put("code", code);
    Map<String, Object> both = new LinkedHashMap<>(body);
    both.put("error", error);
    return both;
  }

  /** OpenAI's {@code error.type} for an error status. */
  static String openAiType(int status) {
    return switch (status) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 429 -> "rate_limit_error";
      default -> status >= 500 ? "server_error" : "invalid_request_error";
    };
  }

  public static void register(HttpRouting.Builder routing) {
    routing
        .error(ApiException.class, (req, res, e) -> send(exchange(req, res), e))
        .error(
            StoreException.class,
            (req, res, e) -> {
              LOG.log(Level.ERROR, "store failure on " + req.prologue() + ": " + e.getMessage(), e);
              storeFailure(exchange(req, res), e);
            })
        .error(
            HttpException.class,
            (req, res, e) -> {
              int code = e.status().code();
              if (code >= 500) {
                LOG.log(Level.ERROR, "failure on " + req.prologue() + ": " + e.getMessage(), e);
              }
              String detail =
                  code == 404
                      ? "no such endpoint: "
                          + req.prologue().method().text()
                          + " "
                          + req.path().path()
                      : code == 405
                          ? "method not allowed: "
                              + req.prologue().method().text()
                              + " "
                              + req.path().path()
                          : e.getMessage();
              send(
                  exchange(req, res),
                  code,
                  Map.of(),
                  Map.of("detail", detail),
                  code == 413 ? "body_too_large" : null);
            })
        .error(
            RuntimeException.class,
            (req, res, e) -> {
              LOG.log(Level.ERROR, "unexpected failure on " + req.prologue(), e);
              internalError(exchange(req, res));
            });
  }

  /**
   * The exchange an error is answered on; when the request's body was left unread and its
   * connection will end after the answer (see {@link ConnectionRules}), the answer says so.
   */
  private static HelidonExchange exchange(ServerRequest req, ServerResponse res) {
    if (ConnectionRules.unreadBodyEndsConnection(req)) {
      res.header(HeaderNames.CONNECTION, "close");
    }
    return new HelidonExchange(req, res);
  }
}
