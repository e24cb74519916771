package io.rma.coordinator.web;

import io.helidon.http.HttpException;
import io.helidon.webserver.http.HttpRouting;
import io.rma.coordinator.store.StoreException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.Map;

/** Maps errors to JSON {@code {"detail": ...}} once, at routing level. */
public final class ErrorMapping {
  private static final Logger LOG = System.getLogger(ErrorMapping.class.getName());

  private ErrorMapping() {}

  /** Answers an {@link ApiException}: its status, {@code {"detail", ...extra}}, Retry-After. */
  public static void send(Exchange ex, ApiException e) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("detail", e.getMessage());
    body.putAll(e.extra());
    Map<String, String> headers =
        e.extra().get("retry_after") instanceof Number seconds
            ? Map.of("Retry-After", String.valueOf(seconds.longValue()))
            : Map.of();
    JsonBodies.send(ex, e.status(), headers, body);
  }

  /** The answer to a store failure: 503, the store is unavailable. */
  public static Map<String, Object> storeFailure(StoreException e) {
    return Map.of("detail", "the worker store is unavailable: " + e.getMessage());
  }

  public static void register(HttpRouting.Builder routing) {
    routing
        .error(ApiException.class, (req, res, e) -> send(new HelidonExchange(req, res), e))
        .error(
            StoreException.class,
            (req, res, e) -> {
              LOG.log(Level.ERROR, "store failure on " + req.prologue() + ": " + e.getMessage(), e);
              JsonBodies.send(res, 503, storeFailure(e));
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
              JsonBodies.send(res, code, Map.of("detail", detail));
            })
        .error(
            RuntimeException.class,
            (req, res, e) -> {
              LOG.log(Level.ERROR, "unexpected failure on " + req.prologue(), e);
              JsonBodies.send(res, 500, Map.of("detail", "internal error"));
            });
  }
}
